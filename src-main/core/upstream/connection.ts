import {
  ErrorCode,
  errorResponse,
  isNotification,
  isRequest,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type RequestId,
} from '../jsonrpc/messages.ts';
import { LATEST_PROTOCOL_VERSION } from '../jsonrpc/protocol-versions.ts';
import { withResponseId } from '../jsonrpc/raw-json.ts';
import { UpstreamError } from './errors.ts';
import type { UpstreamTransport } from './transport.ts';

export type UpstreamState = 'idle' | 'connecting' | 'ready' | 'error' | 'closed';

export type InitializeResult = {
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  serverInfo: { name: string; version: string; [k: string]: unknown };
  instructions?: string;
};

/** Who a forwarded request belongs to: its progress and related messages go back there. */
export type CallContext = {
  owner?: object;
  onNotification?(notification: JsonRpcNotification): void;
};

export type ForwardOutcome = 'ok' | 'error' | 'timeout' | 'cancelled' | 'upstream_error';

export type ForwardResult = {
  /** The upstream's answer with the caller's original id; undefined when cancelled. */
  response: JsonRpcResponse | undefined;
  outcome: ForwardOutcome;
  upstreamMs: number;
};

export interface UpstreamHandlers {
  onServerRequest(
    connection: UpstreamConnection,
    request: JsonRpcRequest,
    related: CallContext | undefined,
  ): Promise<{ result: Record<string, unknown> } | { error: { code: number; message: string; data?: unknown } }>;
  onNotification(
    connection: UpstreamConnection,
    notification: JsonRpcNotification,
    related: CallContext | undefined,
  ): void;
  onStateChange(connection: UpstreamConnection): void;
  onConnected(connection: UpstreamConnection): void;
}

type Pending = {
  upstreamId: RequestId;
  originalId: RequestId;
  context: CallContext | undefined;
  resolve(result: ForwardResult): void;
  /** performance.now() past which the request times out (see armTimer). */
  deadline: number;
  timeoutMs: number;
  startedAt: number;
  progressToken?: { upstream: string; original: string | number };
};

const GATEWAY_CLIENT_CAPABILITIES = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
};

const INITIALIZE_TIMEOUT_MS = 30_000;

/**
 * One connection to one upstream server, shared by every AI client session. It maps request ids
 * and progress tokens so that many sessions can share it, and restarts the server with backoff
 * after a crash. Messages pass through as plain objects.
 */
export class UpstreamConnection {
  readonly name: string;
  state: UpstreamState = 'idle';
  lastError: string | undefined;
  initializeResult: InitializeResult | undefined;
  /** The server wants the user to sign in (OAuth consent) before it answers. */
  needsAuth = false;

  private transport: UpstreamTransport | undefined;
  private connecting: Promise<void> | undefined;
  private readonly pending = new Map<RequestId, Pending>();
  /** One timer for every request's timeout, set for the earliest deadline (see armTimer). */
  private deadlineTimer: NodeJS.Timeout | undefined;
  private deadlineAt = Infinity;
  private readonly progress = new Map<string, Pending>();
  private nextId = 1;
  private restartAttempt = 0;
  private restartAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private closedByUs = false;
  private lastAuthMessage = '';

  private readonly createTransport: () => UpstreamTransport;
  private readonly handlers: UpstreamHandlers;
  readonly timeoutMs: number;
  private readonly clientInfo: { name: string; version: string };

  constructor(options: {
    name: string;
    createTransport: () => UpstreamTransport;
    handlers: UpstreamHandlers;
    timeoutMs: number;
    clientInfo: { name: string; version: string };
  }) {
    this.name = options.name;
    this.createTransport = options.createTransport;
    this.handlers = options.handlers;
    this.timeoutMs = options.timeoutMs;
    this.clientInfo = options.clientInfo;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Connects (once; concurrent callers share the attempt). */
  connect(): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    if (this.closedByUs)
      return Promise.reject(new UpstreamError('closed', this.name, `Server '${this.name}' is stopped.`));
    const wait = this.restartAt - Date.now();
    if (!this.connecting && this.state === 'error' && wait > 0) {
      return Promise.reject(
        new UpstreamError(
          'restarting',
          this.name,
          `Server '${this.name}' failed (${this.lastError ?? 'unknown error'}); Gatehouse retries in ${Math.ceil(wait / 1000)} s.`,
        ),
      );
    }
    this.connecting ??= this.doConnect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private setState(state: UpstreamState, error?: string): void {
    this.state = state;
    if (error !== undefined) this.lastError = error;
    this.handlers.onStateChange(this);
  }

  private async doConnect(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.needsAuth = false;
    this.setState('connecting');
    const transport = this.createTransport();
    this.transport = transport;
    transport.onmessage = (message, relatedTo) => this.handleMessage(transport, message, relatedTo);
    transport.onstreamend = (requestId) => this.handleStreamEnd(transport, requestId);
    transport.isAwaiting = (requestId) => this.pending.has(requestId);
    transport.onerror = () => {
      // Errors that matter surface as a failed request or a close; a stray garbage line must not kill the server.
    };
    transport.onclose = () => this.handleClose(transport);
    try {
      await transport.start();
      const init = await this.forward(
        {
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: {
            protocolVersion: LATEST_PROTOCOL_VERSION,
            capabilities: GATEWAY_CLIENT_CAPABILITIES,
            clientInfo: this.clientInfo,
          },
        },
        { timeoutMs: INITIALIZE_TIMEOUT_MS, skipConnect: true },
      );
      if (!init.response || 'error' in init.response) {
        const reason = init.response && 'error' in init.response ? init.response.error.message : init.outcome;
        throw new Error(`initialize failed: ${reason}`);
      }
      const result = init.response.result as InitializeResult;
      if (typeof result.protocolVersion !== 'string' || typeof result.capabilities !== 'object') {
        throw new Error('initialize returned no protocolVersion/capabilities');
      }
      this.initializeResult = result;
      transport.setProtocolVersion?.(result.protocolVersion);
      await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      this.restartAttempt = 0;
      this.needsAuth = false;
      this.setState('ready');
      this.handlers.onConnected(this);
    } catch (cause) {
      if (cause instanceof UpstreamError && cause.code === 'auth_required') {
        // Raised by the transport's start (legacy SSE opens its stream before initialize).
        this.needsAuth = true;
        this.lastAuthMessage = cause.message;
      }
      if (this.needsAuth) {
        // Waiting for the user's consent: no retry timer; the next call (or the consent) tries again.
        this.transport = undefined;
        await transport.close().catch(() => {});
        this.restartAt = 0;
        const error = new UpstreamError('auth_required', this.name, this.lastAuthMessage, { cause });
        this.setState('error', error.message);
        throw error;
      }
      const stderr = transport.recentStderr?.();
      const message = `${(cause as Error).message}${stderr ? ` (stderr: ${lastLines(stderr)})` : ''}`;
      this.transport = undefined;
      await transport.close().catch(() => {});
      this.scheduleRestart(message);
      throw new UpstreamError('connect_failed', this.name, `Server '${this.name}' could not be started: ${message}`, {
        cause,
      });
    }
  }

  private scheduleRestart(error: string): void {
    if (this.closedByUs) return;
    const delay = Math.min(30_000, 500 * 2 ** this.restartAttempt);
    this.restartAttempt++;
    this.restartAt = Date.now() + delay;
    this.setState('error', error);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.connect().catch(() => {});
    }, delay);
    this.restartTimer.unref();
  }

  /**
   * Sends a request upstream under a fresh id and resolves with the answer under the caller's id.
   * Never rejects: failures come back as JSON-RPC error responses with an outcome.
   */
  async forward(
    request: JsonRpcRequest,
    options: { timeoutMs?: number; context?: CallContext; skipConnect?: boolean } = {},
  ): Promise<ForwardResult> {
    const startedAt = performance.now();
    if (!options.skipConnect && this.state !== 'ready') {
      try {
        await this.connect();
      } catch (error) {
        return {
          response: errorResponse(request.id, ErrorCode.UpstreamUnavailable, (error as Error).message),
          outcome: 'upstream_error',
          upstreamMs: 0,
        };
      }
    }
    const transport = this.transport;
    if (!transport) {
      return {
        response: errorResponse(request.id, ErrorCode.UpstreamUnavailable, `Server '${this.name}' is not connected.`),
        outcome: 'upstream_error',
        upstreamMs: 0,
      };
    }
    const upstreamId = this.nextId++;
    let outgoing: JsonRpcRequest = { ...request, id: upstreamId };
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return new Promise<ForwardResult>((resolve) => {
      const entry: Pending = {
        upstreamId,
        originalId: request.id,
        context: options.context,
        resolve,
        deadline: Infinity,
        timeoutMs,
        startedAt,
      };
      const meta = request.params?._meta as Record<string, unknown> | undefined;
      const token = meta?.progressToken;
      if (token !== undefined && (typeof token === 'string' || typeof token === 'number')) {
        // Tokens are only unique per client session; the upstream connection is shared.
        const upstreamToken = `gh${upstreamId}`;
        entry.progressToken = { upstream: upstreamToken, original: token };
        outgoing = { ...outgoing, params: { ...request.params, _meta: { ...meta, progressToken: upstreamToken } } };
        this.progress.set(upstreamToken, entry);
      }
      this.pending.set(upstreamId, entry);
      this.armTimer(entry);
      transport.send(outgoing).catch((error: Error) => {
        const authRequired = error instanceof UpstreamError && error.code === 'auth_required';
        if (authRequired) {
          this.needsAuth = true;
          this.lastAuthMessage = error.message;
        }
        this.settle(upstreamId, {
          response: errorResponse(
            request.id,
            ErrorCode.UpstreamUnavailable,
            authRequired ? error.message : `Server '${this.name}' could not be reached: ${error.message}`,
          ),
          outcome: 'upstream_error',
        });
      });
    });
  }

  /** Internal request (lists, setLevel): the result or an UpstreamError. */
  async request(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { response, outcome } = await this.forward({ jsonrpc: '2.0', id: 0, method, ...(params && { params }) });
    if (response && 'result' in response) return response.result;
    const message = response && 'error' in response ? response.error.message : outcome;
    throw new UpstreamError(outcome === 'timeout' ? 'timeout' : 'protocol', this.name, message);
  }

  /** The AI client cancelled: tell the upstream and forget the request (no response goes back). */
  cancel(owner: object, originalId: RequestId, reason?: string): boolean {
    for (const [upstreamId, entry] of this.pending) {
      if (entry.context?.owner === owner && entry.originalId === originalId) {
        void this.transport
          ?.send({
            jsonrpc: '2.0',
            method: 'notifications/cancelled',
            params: { requestId: upstreamId, ...(reason && { reason }) },
          })
          .catch(() => {});
        this.settle(upstreamId, { response: undefined, outcome: 'cancelled' });
        return true;
      }
    }
    return false;
  }

  /** Sends a notification upstream (roots/list_changed, cancelled for server requests). */
  notify(notification: JsonRpcNotification): void {
    if (this.state === 'ready') void this.transport?.send(notification).catch(() => {});
  }

  /**
   * (Re)starts a request's timeout. One timer per connection, set for the earliest deadline and
   * left running when a request settles: a setTimeout and clearTimeout per request cost ~10 µs of
   * CPU per call. Unref'd: a request in flight keeps its socket or child process, and so the process, alive.
   */
  private armTimer(entry: Pending): void {
    entry.deadline = performance.now() + entry.timeoutMs;
    if (entry.deadline < this.deadlineAt) this.sweepAt(entry.deadline);
  }

  private sweepAt(deadline: number): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineAt = deadline;
    this.deadlineTimer = setTimeout(() => this.sweepDeadlines(), Math.max(0, deadline - performance.now()));
    this.deadlineTimer.unref();
  }

  private sweepDeadlines(): void {
    this.deadlineTimer = undefined;
    this.deadlineAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const [upstreamId, entry] of [...this.pending]) {
      if (entry.deadline <= now) this.timeOut(upstreamId, entry);
      else next = Math.min(next, entry.deadline);
    }
    if (next < Infinity) this.sweepAt(next);
  }

  private timeOut(upstreamId: RequestId, entry: Pending): void {
    void this.transport
      ?.send({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: upstreamId, reason: 'timeout' },
      })
      .catch(() => {});
    this.settle(upstreamId, {
      response: errorResponse(
        entry.originalId,
        ErrorCode.RequestTimeout,
        `Server '${this.name}' did not answer within ${Math.round(entry.timeoutMs / 1000)} s; the request was cancelled.`,
      ),
      outcome: 'timeout',
    });
  }

  private settle(upstreamId: RequestId, result: Omit<ForwardResult, 'upstreamMs'>): void {
    const entry = this.pending.get(upstreamId);
    if (!entry) return;
    this.pending.delete(upstreamId);
    if (entry.progressToken) this.progress.delete(entry.progressToken.upstream);
    entry.resolve({ ...result, upstreamMs: performance.now() - entry.startedAt });
  }

  private handleMessage(transport: UpstreamTransport, message: JsonRpcMessage, relatedTo: RequestId | undefined): void {
    if (transport !== this.transport) return;
    if (typeof message !== 'object' || message === null) return;
    if (!('method' in message)) {
      const id = (message as JsonRpcResponse).id;
      const entry = id === null ? undefined : this.pending.get(id);
      if (!entry || id === null) return;
      const response = withResponseId(message as JsonRpcResponse, entry.originalId);
      this.settle(id, { response, outcome: 'error' in response ? 'error' : 'ok' });
      return;
    }
    const related = relatedTo === undefined ? undefined : this.pending.get(relatedTo)?.context;
    if (isRequest(message)) {
      if (message.method === 'ping') {
        void transport.send({ jsonrpc: '2.0', id: message.id, result: {} }).catch(() => {});
        return;
      }
      this.handlers.onServerRequest(this, message, related).then(
        (answer) => transport.send({ jsonrpc: '2.0', id: message.id, ...answer } as JsonRpcResponse).catch(() => {}),
        (error: Error) =>
          transport.send(errorResponse(message.id, ErrorCode.InternalError, error.message)).catch(() => {}),
      );
      return;
    }
    if (!isNotification(message)) return;
    if (message.method === 'notifications/progress') {
      const token = message.params?.progressToken;
      const entry = typeof token === 'string' ? this.progress.get(token) : undefined;
      if (!entry?.progressToken) return;
      // A server that reports progress is alive: the timeout counts from the last sign of life.
      this.armTimer(entry);
      entry.context?.onNotification?.({
        ...message,
        params: { ...message.params, progressToken: entry.progressToken.original },
      });
      return;
    }
    this.handlers.onNotification(this, message, related);
  }

  private handleStreamEnd(transport: UpstreamTransport, requestId: RequestId): void {
    if (transport !== this.transport || !this.pending.has(requestId)) return;
    const entry = this.pending.get(requestId)!;
    this.settle(requestId, {
      response: errorResponse(
        entry.originalId,
        ErrorCode.UpstreamUnavailable,
        `Server '${this.name}' closed the response stream before answering.`,
      ),
      outcome: 'upstream_error',
    });
  }

  private handleClose(transport: UpstreamTransport): void {
    if (transport !== this.transport) return;
    this.transport = undefined;
    const stderr = transport.recentStderr?.();
    const reason = `the server closed the connection${stderr ? ` (stderr: ${lastLines(stderr)})` : ''}`;
    for (const [id, entry] of [...this.pending]) {
      this.settle(id, {
        response: errorResponse(
          entry.originalId,
          ErrorCode.UpstreamUnavailable,
          `Server '${this.name}' stopped during the request: ${reason}. Gatehouse restarts it.`,
        ),
        outcome: 'upstream_error',
      });
    }
    if (this.closedByUs) {
      this.setState('closed');
      return;
    }
    this.scheduleRestart(reason);
  }

  async close(): Promise<void> {
    this.closedByUs = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.deadlineAt = Infinity;
    const transport = this.transport;
    this.transport = undefined;
    for (const [id, entry] of [...this.pending]) {
      this.settle(id, {
        response: errorResponse(entry.originalId, ErrorCode.UpstreamUnavailable, `Server '${this.name}' was stopped.`),
        outcome: 'upstream_error',
      });
    }
    await transport?.close().catch(() => {});
    this.state = 'closed';
    this.handlers.onStateChange(this);
  }

  /** Makes a stopped connection usable again (server re-enabled). */
  reopen(): void {
    if (this.state !== 'closed') return;
    this.closedByUs = false;
    this.restartAttempt = 0;
    this.restartAt = 0;
    this.state = 'idle';
  }
}

function lastLines(text: string): string {
  return text.split('\n').slice(-3).join(' | ').slice(-500);
}

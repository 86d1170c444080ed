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
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '../jsonrpc/protocol-versions.ts';
import type { CallContext, ForwardResult, UpstreamEntry } from '../upstream/index.ts';
import type { AccessDecision, ItemKind, RequestIdentity } from './access.ts';
import type { Router } from './router.ts';

export type Scope = { kind: 'aggregate' } | { kind: 'server'; name: string };

/** How the session talks back to its AI client (the HTTP listener, or a test). */
export interface DownstreamChannel {
  /** `relatedRequestId` puts the message on the response stream of that client request. */
  send(message: JsonRpcMessage, relatedRequestId?: RequestId): void;
}

export type ClientInfo = { name: string; version: string };

/** What the audit log and the window learn about every forwarded request. */
export type RequestDone = {
  session: DownstreamSession;
  server: string;
  method: string;
  /** The name the upstream knows (tool, prompt) or the resource URI. */
  name: string | undefined;
  params: Record<string, unknown> | undefined;
  response: JsonRpcResponse | undefined;
  outcome: ForwardResult['outcome'] | 'denied';
  denyReason?: string;
  denyRule?: string;
  /** What went wrong, as the upstream or the gateway said it (also when shown as a tool error). */
  error?: string;
  startedAt: number;
  totalMs: number;
  upstreamMs: number;
};

type ClientRequestPending = { resolve(answer: JsonRpcResponse): void; timer: NodeJS.Timeout };

const CLIENT_REQUEST_TIMEOUT_MS = 10 * 60_000; // a human may be answering an elicitation

/** Requests that name a tool/prompt/resource: how to find the name, and its kind for policy. */
const NAMED: Record<string, { kind: ItemKind; key: 'name' | 'uri' }> = {
  'tools/call': { kind: 'tool', key: 'name' },
  'prompts/get': { kind: 'prompt', key: 'name' },
  'resources/read': { kind: 'resource', key: 'uri' },
  'resources/subscribe': { kind: 'resource', key: 'uri' },
  'resources/unsubscribe': { kind: 'resource', key: 'uri' },
};

const LIST_KEYS: Record<string, { key: string; kind: ItemKind; nameKey: 'name' | 'uri' | 'uriTemplate' }> = {
  'tools/list': { key: 'tools', kind: 'tool', nameKey: 'name' },
  'prompts/list': { key: 'prompts', kind: 'prompt', nameKey: 'name' },
  'resources/list': { key: 'resources', kind: 'resource', nameKey: 'uri' },
  'resources/templates/list': { key: 'resourceTemplates', kind: 'resource', nameKey: 'uriTemplate' },
};

/**
 * One AI client session on `/mcp` (aggregate) or `/servers/<name>/mcp` (one server, names
 * unchanged). It answers initialize and the aggregated lists itself and forwards everything else.
 */
export class DownstreamSession {
  readonly id: string;
  readonly scope: Scope;
  readonly who: RequestIdentity;
  clientInfo: ClientInfo | undefined;
  clientCapabilities: Record<string, unknown> = {};
  protocolVersion = LATEST_PROTOCOL_VERSION;
  lastActivity = Date.now();
  /** Client request id → server it was forwarded to, while in flight. */
  readonly inFlight = new Map<RequestId, { server: string; startedAt: number }>();
  readonly subscriptions = new Map<string, string>(); // uri → server
  closed = false;

  private readonly router: Router;
  private readonly channel: DownstreamChannel;
  private readonly clientRequests = new Map<RequestId, ClientRequestPending>();
  private nextClientRequestId = 1;

  constructor(options: {
    id: string;
    scope: Scope;
    localClientId: string;
    router: Router;
    channel: DownstreamChannel;
  }) {
    this.id = options.id;
    this.scope = options.scope;
    this.router = options.router;
    this.channel = options.channel;
    this.who = { sessionId: options.id, localClientId: options.localClientId };
  }

  /** Why a server that is off cannot be used: the policy's reason, else the user's own toggle. */
  offReason(server: string, what?: string): string {
    const decision = this.router.access.server(server, this.who);
    if (!decision.allow) return decision.reason;
    return `Server '${server}' is turned off in Gatehouse; turn it on in the Gatehouse window${what ? ` to use '${what}'` : ''}.`;
  }

  /** Does this session see `server` (its scope, and the server is on)? */
  attachedTo(server: string): boolean {
    return this.scope.kind === 'aggregate' || this.scope.name === server;
  }

  handle(message: JsonRpcMessage): void {
    this.lastActivity = Date.now();
    if (isRequest(message)) {
      void this.handleRequest(message).catch((error: Error) => {
        // A bug of ours must not leave the client waiting, nor be blamed on it.
        this.channel.send(errorResponse(message.id, ErrorCode.InternalError, `Gatehouse failed: ${error.message}`));
      });
    } else if (isNotification(message)) {
      this.handleNotification(message);
    } else if ('id' in message && message.id !== null) {
      const pending = this.clientRequests.get(message.id);
      if (pending) {
        this.clientRequests.delete(message.id);
        clearTimeout(pending.timer);
        pending.resolve(message as JsonRpcResponse);
      }
    }
  }

  send(message: JsonRpcMessage, relatedRequestId?: RequestId): void {
    if (!this.closed) this.channel.send(message, relatedRequestId);
  }

  private reply(id: RequestId, result: Record<string, unknown>): void {
    this.send({ jsonrpc: '2.0', id, result });
  }

  private fail(id: RequestId, code: number, message: string): void {
    this.send(errorResponse(id, code, message));
  }

  private async handleRequest(request: JsonRpcRequest): Promise<void> {
    switch (request.method) {
      case 'initialize':
        return this.initialize(request);
      case 'ping':
        return this.reply(request.id, {});
    }
    if (this.scope.kind === 'server') return this.forwardToServer(this.scope.name, request);
    return this.router.aggregate.handle(this, request);
  }

  private async initialize(request: JsonRpcRequest): Promise<void> {
    const params = request.params ?? {};
    const requested = typeof params.protocolVersion === 'string' ? params.protocolVersion : undefined;
    this.protocolVersion =
      requested && SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
    const info = params.clientInfo as ClientInfo | undefined;
    if (info && typeof info.name === 'string')
      this.clientInfo = { name: info.name, version: String(info.version ?? '') };
    if (typeof params.capabilities === 'object' && params.capabilities !== null) {
      this.clientCapabilities = params.capabilities as Record<string, unknown>;
    }
    if (this.scope.kind === 'aggregate') {
      this.reply(request.id, { protocolVersion: this.protocolVersion, ...this.router.aggregate.initializeResult() });
      return;
    }
    const entry = this.router.pool.get(this.scope.name);
    const denied = entry ? this.router.access.server(entry.config.name, this.who) : undefined;
    if (!entry || !entry.enabled || (denied && !denied.allow)) {
      const why = denied && !denied.allow ? denied.reason : `server '${this.scope.name}' is turned off in Gatehouse`;
      return this.fail(request.id, ErrorCode.UpstreamUnavailable, `Cannot connect: ${why}.`);
    }
    if (entry.connection.state !== 'ready' && !entry.lists) {
      await entry.connection.connect().catch(() => {});
    }
    const init = entry.connection.initializeResult;
    const cached = entry.lists;
    if (!init && !cached) {
      return this.fail(
        request.id,
        ErrorCode.UpstreamUnavailable,
        `Server '${entry.config.name}' is not available: ${entry.connection.lastError ?? 'not connected'}.`,
      );
    }
    this.reply(request.id, {
      protocolVersion: this.protocolVersion,
      capabilities: init?.capabilities ?? cached?.capabilities ?? {},
      serverInfo: init?.serverInfo ?? cached?.serverInfo ?? { name: entry.config.name, version: '' },
      ...((init?.instructions ?? cached?.instructions) !== undefined && {
        instructions: init?.instructions ?? cached?.instructions,
      }),
    });
  }

  /** Per-server endpoint: everything passes through, names unchanged; policy still applies. */
  private async forwardToServer(server: string, request: JsonRpcRequest): Promise<void> {
    const entry = this.router.pool.get(server);
    if (!entry || !entry.enabled) {
      return this.fail(request.id, ErrorCode.UpstreamUnavailable, this.offReason(server));
    }
    const named = NAMED[request.method];
    const name = named ? (request.params?.[named.key] as string | undefined) : undefined;
    const list = LIST_KEYS[request.method];
    await this.forward(
      entry,
      request,
      request,
      name,
      list ? (result) => this.filterList(server, request.method, result) : undefined,
    );
  }

  /**
   * Forwards `upstreamRequest` (the client's request, possibly renamed) and sends the answer back
   * under the client's id. Progress and related messages flow back on the same stream.
   */
  async forward(
    entry: UpstreamEntry,
    request: JsonRpcRequest,
    upstreamRequest: JsonRpcRequest,
    name: string | undefined,
    transform?: (result: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<void> {
    const startedAt = Date.now();
    const started = performance.now();
    const server = entry.config.name;
    const named = NAMED[request.method];
    const decision: AccessDecision =
      named && name !== undefined
        ? this.router.access.item(server, named.kind, name, this.who)
        : this.router.access.server(server, this.who);
    // What the audit log and the window learn, in the turn the answer goes out: before it when the
    // record must exist before the client can see the answer (strict audit, or an org that requires
    // it), else right after it, where the audit only notes it and builds and writes the record
    // while the gateway next waits on a server (AuditLog.appendSoon, Router.waitingOnServer).
    // Either way what was put off before is done before this answer goes out, so at most one
    // answered call is ever unrecorded (test/audit-gateway/crash.test.ts).
    const answer = (
      response: JsonRpcResponse | undefined,
      outcome: Omit<
        RequestDone,
        'session' | 'server' | 'method' | 'name' | 'params' | 'startedAt' | 'totalMs' | 'response'
      >,
    ) => {
      const before = this.router.recordBeforeAnswer();
      const done = () =>
        this.router.requestDone(
          {
            session: this,
            server,
            method: request.method,
            name,
            params: request.params,
            startedAt,
            totalMs: performance.now() - started,
            response,
            ...outcome,
          },
          before,
        );
      this.router.beforeAnswer();
      if (before) done();
      try {
        if (response) this.send(response);
      } finally {
        if (!before) done(); // recorded even if sending failed
      }
    };
    if (!decision.allow) {
      answer(errorResponse(request.id, ErrorCode.PolicyDenied, decision.reason), {
        outcome: 'denied',
        denyReason: decision.reason,
        ...(decision.rule && { denyRule: decision.rule }),
        upstreamMs: 0,
      });
      return;
    }
    const context: CallContext & { session: DownstreamSession; requestId: RequestId } = {
      owner: this,
      session: this,
      requestId: request.id,
      onNotification: (notification) => this.send(notification, request.id),
    };
    this.inFlight.set(request.id, { server, startedAt });
    const forwarded = entry.connection.forward(upstreamRequest, { context });
    this.router.waitingOnServer();
    const result = await forwarded;
    this.inFlight.delete(request.id);
    let response = result.response;
    const error = response && 'error' in response ? response.error.message : undefined;
    if (response && transform && 'result' in response) response = { ...response, result: transform(response.result) };
    if (response && 'error' in response && request.method === 'tools/call' && result.outcome !== 'error') {
      // Gateway-side failures of a tool call (timeout, server down) read best as a tool error the model can see.
      response = {
        jsonrpc: '2.0',
        id: request.id,
        result: { content: [{ type: 'text', text: response.error.message }], isError: true },
      };
    }
    answer(response, { outcome: result.outcome, ...(error !== undefined && { error }), upstreamMs: result.upstreamMs });
  }

  /** Hides what policy denies from a list the upstream returned. */
  filterList(server: string, method: string, result: Record<string, unknown>): Record<string, unknown> {
    const list = LIST_KEYS[method];
    const items = list ? result[list.key] : undefined;
    if (!list || !Array.isArray(items)) return result;
    const kept = items.filter((item: Record<string, unknown>) => {
      const name = item[list.nameKey];
      return typeof name !== 'string' || this.router.access.item(server, list.kind, name, this.who).allow;
    });
    return kept.length === items.length ? result : { ...result, [list.key]: kept };
  }

  private handleNotification(notification: JsonRpcNotification): void {
    switch (notification.method) {
      case 'notifications/cancelled': {
        const requestId = notification.params?.requestId as RequestId | undefined;
        const call = requestId === undefined ? undefined : this.inFlight.get(requestId);
        if (call && requestId !== undefined) {
          this.inFlight.delete(requestId);
          this.router.pool
            .get(call.server)
            ?.connection.cancel(this, requestId, notification.params?.reason as string | undefined);
        }
        return;
      }
      case 'notifications/roots/list_changed':
        for (const entry of this.router.pool.enabledEntries()) {
          if (this.attachedTo(entry.config.name)) entry.connection.notify(notification);
        }
        return;
      default:
        return; // notifications/initialized and others need nothing from the gateway
    }
  }

  /**
   * Sends a server-to-client request (sampling, elicitation, roots) to this client and resolves
   * with its answer. Refused at once when the client did not declare the capability.
   */
  requestClient(
    request: JsonRpcRequest,
    relatedRequestId: RequestId | undefined,
    server: string,
  ): Promise<JsonRpcResponse> {
    const capability = {
      'sampling/createMessage': 'sampling',
      'elicitation/create': 'elicitation',
      'roots/list': 'roots',
    }[request.method];
    if (capability && !(capability in this.clientCapabilities)) {
      return Promise.resolve(
        errorResponse(
          request.id,
          ErrorCode.MethodNotFound,
          `The AI client${this.clientInfo ? ` (${this.clientInfo.name})` : ''} does not support ${capability}, which server '${server}' asked for.`,
        ),
      );
    }
    const id = `gh-${this.nextClientRequestId++}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.clientRequests.delete(id);
        resolve(
          errorResponse(
            request.id,
            ErrorCode.RequestTimeout,
            `The AI client did not answer '${request.method}' in time.`,
          ),
        );
      }, CLIENT_REQUEST_TIMEOUT_MS);
      timer.unref();
      this.clientRequests.set(id, {
        resolve: (answer) => resolve({ ...answer, id: request.id } as JsonRpcResponse),
        timer,
      });
      this.send({ ...request, id }, relatedRequestId);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [requestId, call] of this.inFlight)
      this.router.pool.get(call.server)?.connection.cancel(this, requestId, 'client session closed');
    this.inFlight.clear();
    for (const [id, pending] of this.clientRequests) {
      clearTimeout(pending.timer);
      pending.resolve(errorResponse(id, ErrorCode.UpstreamUnavailable, 'The AI client session closed.'));
    }
    this.clientRequests.clear();
    this.router.sessionClosed(this);
  }
}

import { randomUUID } from 'node:crypto';
import { envelopeProblem, ErrorCode, isRequest, type JsonRpcMessage, type RequestId } from '../jsonrpc/messages.ts';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../jsonrpc/protocol-versions.ts';
import type { Router, Scope } from '../router/index.ts';
import { BodyTooLarge, type EndpointRequest, type Reply } from './exchange.ts';
import { HttpSession } from './http-session.ts';
import { nestedDeeperThan } from './nesting.ts';

// Deep enough for any real tool argument; deeper messages would overflow JSON.stringify on the way
// upstream (found by test/hardening/hostile-input.test.ts: 100 000-deep arguments).
const MAX_NESTING = 1000;

export type EndpointLimits = { maxBodyBytes: number; idleSessionMs: number; maxSessions: number };

export function sendJsonError(
  res: Reply,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }));
}

/**
 * Streamable HTTP (MCP 2025-11-25 and the versions before it) for the gateway's endpoints:
 * POST carries client messages, GET opens the standalone stream, DELETE ends a session.
 */
export class McpEndpoint {
  private readonly sessions = new Map<string, { http: HttpSession; scopeKey: string }>();
  private readonly router: Router;
  private readonly limits: EndpointLimits;
  private readonly reaper: NodeJS.Timeout;

  constructor(router: Router, limits: EndpointLimits) {
    this.router = router;
    this.limits = limits;
    this.reaper = setInterval(() => this.reapIdle(), Math.min(60_000, limits.idleSessionMs));
    this.reaper.unref();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  handle(req: EndpointRequest, res: Reply, scope: Scope, localClientId: string): void | Promise<void> {
    const scopeKey = scope.kind === 'aggregate' ? '' : scope.name;
    const version = req.headers['mcp-protocol-version'];
    if (typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      return sendJsonError(
        res,
        400,
        ErrorCode.InvalidRequest,
        `Unsupported MCP-Protocol-Version '${version}' (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}).`,
      );
    }
    switch (req.method) {
      case 'POST':
        return this.post(req, res, scope, scopeKey, localClientId);
      case 'GET':
        return this.get(req, res, scopeKey);
      case 'DELETE':
        return this.delete(req, res, scopeKey);
      default:
        return sendJsonError(
          res,
          405,
          ErrorCode.InvalidRequest,
          `Method ${req.method} is not allowed on an MCP endpoint.`,
          { allow: 'GET, POST, DELETE' },
        );
    }
  }

  /** The session named by the request's header, or an HTTP error already sent. */
  private findSession(
    req: EndpointRequest,
    res: Reply,
    scopeKey: string,
    missingStatus: number,
  ): HttpSession | undefined {
    const id = req.headers['mcp-session-id'];
    if (typeof id !== 'string' || id === '') {
      sendJsonError(
        res,
        missingStatus,
        ErrorCode.InvalidRequest,
        'Bad Request: the Mcp-Session-Id header is required; start with an initialize request.',
        missingStatus === 405 ? { allow: 'POST, DELETE' } : {},
      );
      return undefined;
    }
    const found = this.sessions.get(id);
    if (!found || found.scopeKey !== scopeKey) {
      sendJsonError(
        res,
        404,
        -32001,
        'Session not found: it expired or was closed. Start a new session with initialize.',
      );
      return undefined;
    }
    return found.http;
  }

  private post(
    req: EndpointRequest,
    res: Reply,
    scope: Scope,
    scopeKey: string,
    localClientId: string,
  ): void | Promise<void> {
    const type = req.headers['content-type'] ?? '';
    if (!type.includes('application/json')) {
      return sendJsonError(
        res,
        415,
        ErrorCode.InvalidRequest,
        'Unsupported Media Type: send the JSON-RPC message as application/json.',
      );
    }
    let text: string | Promise<string>;
    try {
      text = req.readBody(this.limits.maxBodyBytes);
    } catch (error) {
      return this.unreadable(res, error);
    }
    // The fast front has read the body already: no turn of the event loop for it.
    if (typeof text === 'string') return this.receive(text, req, res, scope, scopeKey, localClientId);
    return text.then(
      (body) => this.receive(body, req, res, scope, scopeKey, localClientId),
      (error: unknown) => this.unreadable(res, error),
    );
  }

  private unreadable(res: Reply, error: unknown): void {
    if (!(error instanceof BodyTooLarge)) throw error;
    sendJsonError(
      res,
      413,
      ErrorCode.InvalidRequest,
      `Request body too large: Gatehouse accepts at most ${Math.round(this.limits.maxBodyBytes / 1024 / 1024)} MB per message.`,
    );
  }

  private receive(
    text: string,
    req: EndpointRequest,
    res: Reply,
    scope: Scope,
    scopeKey: string,
    localClientId: string,
  ): void {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      return sendJsonError(
        res,
        400,
        ErrorCode.ParseError,
        `Parse error: the body is not valid JSON (${(error as Error).message}).`,
      );
    }
    if (nestedDeeperThan(text, MAX_NESTING)) {
      return sendJsonError(
        res,
        400,
        ErrorCode.InvalidRequest,
        `Invalid Request: the message is nested more than ${MAX_NESTING} levels deep.`,
      );
    }
    const isBatch = Array.isArray(body);
    const messages = (isBatch ? body : [body]) as unknown[];
    if (messages.length === 0)
      return sendJsonError(res, 400, ErrorCode.InvalidRequest, 'Invalid Request: empty batch.');
    for (const m of messages) {
      const problem = envelopeProblem(m);
      if (problem) return sendJsonError(res, 400, ErrorCode.InvalidRequest, `Invalid Request: ${problem}.`);
    }
    const valid = messages as JsonRpcMessage[];
    const initialize = valid.find((m) => isRequest(m) && m.method === 'initialize');

    let http: HttpSession | undefined;
    if (initialize) {
      if (valid.length > 1)
        return sendJsonError(
          res,
          400,
          ErrorCode.InvalidRequest,
          'Invalid Request: initialize must be sent on its own.',
        );
      if (this.sessions.size >= this.limits.maxSessions) this.reapIdle(true);
      if (this.sessions.size >= this.limits.maxSessions) {
        return sendJsonError(
          res,
          503,
          ErrorCode.InternalError,
          'Too many open MCP sessions; close some AI client sessions and retry.',
        );
      }
      http = new HttpSession(randomUUID());
      http.session = this.router.createSession({ id: http.id, scope, localClientId, channel: http });
      this.sessions.set(http.id, { http, scopeKey });
    } else {
      http = this.findSession(req, res, scopeKey, 400);
      if (!http) return;
      if (http.session.who.localClientId !== localClientId) {
        // A session belongs to the token that opened it; another local client cannot ride on it.
        return sendJsonError(res, 404, -32001, 'Session not found for this client token.');
      }
    }

    const requestIds: RequestId[] = [];
    for (const m of valid) if (isRequest(m)) requestIds.push(m.id);
    if (requestIds.length === 0) {
      res.writeHead(202).end();
    } else {
      http.openSlot(res, requestIds, { 'mcp-session-id': http.id }, isBatch);
    }
    for (const m of valid) http.session.handle(m);
  }

  private get(req: EndpointRequest, res: Reply, scopeKey: string): void {
    const accept = req.headers.accept ?? '';
    if (!accept.includes('text/event-stream') && !accept.includes('*/*')) {
      return sendJsonError(
        res,
        405,
        ErrorCode.InvalidRequest,
        'GET opens the server-to-client event stream and needs Accept: text/event-stream.',
        { allow: 'POST, DELETE' },
      );
    }
    const http = this.findSession(req, res, scopeKey, 405);
    if (!http) return;
    if (http.hasStandaloneStream) {
      return sendJsonError(
        res,
        409,
        ErrorCode.InvalidRequest,
        'Conflict: this session already has an open event stream.',
      );
    }
    http.session.lastActivity = Date.now();
    http.openStandalone(res, { 'mcp-session-id': http.id });
  }

  private delete(req: EndpointRequest, res: Reply, scopeKey: string): void {
    const http = this.findSession(req, res, scopeKey, 400);
    if (!http) return;
    this.sessions.delete(http.id);
    http.close();
    res.writeHead(200).end();
  }

  private reapIdle(force = false): void {
    const now = Date.now();
    for (const [id, { http }] of this.sessions) {
      const idle = now - http.session.lastActivity > this.limits.idleSessionMs;
      const busy = http.pendingCount > 0 || http.session.inFlight.size > 0;
      if (busy || (!idle && !force) || (http.hasStandaloneStream && !force)) continue;
      if (force && !idle) continue;
      this.sessions.delete(id);
      http.close();
    }
  }

  closeAll(): void {
    clearInterval(this.reaper);
    for (const { http } of this.sessions.values()) http.close();
    this.sessions.clear();
  }
}

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from '../router/index.ts';
import type { LocalTokenStore } from '../tokens/index.ts';
import type { EndpointRequest, Reply } from './exchange.ts';
import { FastFront } from './fast-front.ts';
import { McpEndpoint, sendJsonError, type EndpointLimits } from './mcp-endpoint.ts';
import { fromIncomingMessage, toReply } from './node-request.ts';
import { bearerToken, hostProblem, originProblem, TokenGate } from './security.ts';
import { KEEP_ALIVE_MS } from './socket-reply.ts';

/** Extra routes mounted behind the same checks (the window's API and bundle). */
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  localClientId: string | undefined,
) => void | Promise<void>;

export type ListenerOptions = {
  port: number;
  router: Router;
  tokens: LocalTokenStore;
  limits?: Partial<EndpointLimits>;
  /** Prefix → handler, e.g. '/api/' and '/ui/'. `public` routes skip the token check (the UI bundle). */
  routes?: { prefix: string; handler: RouteHandler; public?: boolean }[];
  log?: (line: string) => void;
};

const DEFAULT_LIMITS: EndpointLimits = { maxBodyBytes: 8 * 1024 * 1024, idleSessionMs: 30 * 60_000, maxSessions: 1000 };

const SERVER_PATH = /^\/servers\/([A-Za-z0-9._-]+)\/mcp\/?$/;

function isMcpPath(path: string): boolean {
  return path === '/mcp' || path === '/mcp/' || SERVER_PATH.test(path);
}

const UNAUTHORIZED =
  'Unauthorized: Gatehouse needs "Authorization: Bearer <token>". Get a token with `gatehouse token` (or let `gatehouse clients connect <client>` write it into your AI client config).';

/**
 * The localhost listener: bound to 127.0.0.1 only, every request checked for Host, Origin and a
 * local client token before anything else runs.
 */
export class Listener {
  /** Owns the port; answers the MCP POSTs itself and hands every other connection to `server`. */
  private readonly front: FastFront;
  /** node:http, for the connections the front hands over (never listens itself). */
  private readonly server: http.Server;
  private readonly endpoint: McpEndpoint;
  private readonly gate: TokenGate;
  private readonly options: ListenerOptions;
  port: number;

  constructor(options: ListenerOptions) {
    this.options = options;
    this.port = options.port;
    this.gate = new TokenGate(options.tokens);
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.endpoint = new McpEndpoint(options.router, limits);
    this.server = http.createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) =>
      this.dispatch(fromIncomingMessage(req), toReply(res), { req, res }),
    );
    // Header and request timeouts keep a stalled local client from holding sockets forever.
    this.server.headersTimeout = 30_000;
    this.server.requestTimeout = 0; // SSE streams are long-lived
    this.front = new FastFront({
      accepts: (method, path) =>
        method === 'POST' && isMcpPath(path) && !options.routes?.some((r) => path.startsWith(r.prefix)),
      maxBodyBytes: limits.maxBodyBytes,
      handle: (request, reply) => this.dispatch(request, reply),
      handOff: (socket) => this.server.emit('connection', socket),
    });
  }

  get sessionCount(): number {
    return this.endpoint.sessionCount;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(
                `Port ${this.options.port} on 127.0.0.1 is in use: another Gatehouse may be running (stop it, or pass --port).`,
                { cause: error },
              )
            : error,
        );
      };
      this.front.server.once('error', onError);
      this.front.server.listen(this.options.port, '127.0.0.1', () => {
        this.front.server.off('error', onError);
        resolve();
      });
    });
    this.port = (this.front.server.address() as AddressInfo).port;
    // node:http checks headersTimeout on a timer it starts when it is listening; it never listens
    // itself here (the front hands it connections), so start that timer as a listen would.
    this.server.emit('listening');
  }

  /** Runs `route`; a failure is logged and answered with a 500, never left hanging. */
  private dispatch(request: EndpointRequest, reply: Reply, raw?: { req: IncomingMessage; res: ServerResponse }): void {
    const failed = (error: Error) => {
      this.options.log?.(`listener error on ${request.method} ${request.url}: ${error.stack ?? error.message}`);
      sendJsonError(reply, 500, -32603, 'Gatehouse failed to handle the request; see its log.');
    };
    try {
      this.route(request, reply, raw)?.catch(failed);
    } catch (error) {
      failed(error as Error);
    }
  }

  /**
   * Host, Origin and token checks, then the endpoint. Synchronous while the token is one verified
   * a moment ago (the hot path); `raw` is there for requests node:http parsed (the extra routes
   * take them).
   */
  private route(
    req: EndpointRequest,
    res: Reply,
    raw: { req: IncomingMessage; res: ServerResponse } | undefined,
  ): void | Promise<void> {
    const path = req.url.split('?', 1)[0]!;
    const hostIssue = hostProblem(req.headers);
    if (hostIssue) return sendJsonError(res, 403, -32000, `Forbidden: ${hostIssue}.`);
    const originIssue = originProblem(req.headers, this.port);
    if (originIssue) return sendJsonError(res, 403, -32000, `Forbidden: ${originIssue}.`);

    if (path.startsWith('/.well-known/')) {
      // No OAuth here: a 404 stops clients from starting a discovery/registration flow.
      return sendJsonError(
        res,
        404,
        -32000,
        'Not found: Gatehouse uses a local bearer token, not OAuth (run `gatehouse token`).',
      );
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
      return;
    }
    const extra = this.extraRoute(raw, path);
    if (raw && extra?.public) return extra.handler(raw.req, raw.res, undefined);

    const token = bearerToken(req.headers);
    const recent = this.gate.recent(token);
    if (recent) return this.authorized(req, res, raw, path, recent);
    return this.gate.check(token).then((clientId) => this.authorized(req, res, raw, path, clientId));
  }

  private authorized(
    req: EndpointRequest,
    res: Reply,
    raw: { req: IncomingMessage; res: ServerResponse } | undefined,
    path: string,
    clientId: string | undefined,
  ): void | Promise<void> {
    if (!clientId)
      return sendJsonError(res, 401, -32000, UNAUTHORIZED, { 'www-authenticate': 'Bearer realm="gatehouse"' });

    const extra = this.extraRoute(raw, path);
    if (raw && extra) return extra.handler(raw.req, raw.res, clientId);
    if (path === '/mcp' || path === '/mcp/') return this.endpoint.handle(req, res, { kind: 'aggregate' }, clientId);
    const server = SERVER_PATH.exec(path);
    if (server) {
      const name = server[1]!;
      if (!this.options.router.pool.get(name)) {
        return sendJsonError(res, 404, -32000, `Not found: no server named '${name}' is configured in Gatehouse.`);
      }
      return this.endpoint.handle(req, res, { kind: 'server', name }, clientId);
    }
    return sendJsonError(
      res,
      404,
      -32000,
      'Not found: the MCP endpoints are /mcp (all servers) and /servers/<name>/mcp.',
    );
  }

  /** The extra route for `path`; only requests node:http parsed can reach one (the front never takes them). */
  private extraRoute(raw: object | undefined, path: string) {
    return raw ? this.options.routes?.find((r) => path.startsWith(r.prefix)) : undefined;
  }

  async close(): Promise<void> {
    this.endpoint.closeAll();
    const closed = new Promise<void>((resolve) => this.front.server.close(() => resolve()));
    this.front.destroyAll();
    this.server.closeAllConnections();
    // Stops node:http's connection-checking timer (it was never listening: no 'close' to wait for).
    this.server.close(() => {});
    await closed;
  }
}

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from '../router/index.ts';
import type { LocalTokenStore } from '../tokens/index.ts';
import { McpEndpoint, sendJsonError, type EndpointLimits } from './mcp-endpoint.ts';
import { bearerToken, hostProblem, originProblem, TokenGate } from './security.ts';

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

const UNAUTHORIZED =
  'Unauthorized: Gatehouse needs "Authorization: Bearer <token>". Get a token with `gatehouse token` (or let `gatehouse clients connect <client>` write it into your AI client config).';

/**
 * The localhost listener: bound to 127.0.0.1 only, every request checked for Host, Origin and a
 * local client token before anything else runs.
 */
export class Listener {
  private readonly server: http.Server;
  private readonly endpoint: McpEndpoint;
  private readonly gate: TokenGate;
  private readonly options: ListenerOptions;
  port: number;

  constructor(options: ListenerOptions) {
    this.options = options;
    this.port = options.port;
    this.gate = new TokenGate(options.tokens);
    this.endpoint = new McpEndpoint(options.router, { ...DEFAULT_LIMITS, ...options.limits });
    this.server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      this.route(req, res).catch((error: Error) => {
        options.log?.(`listener error on ${req.method} ${req.url}: ${error.stack ?? error.message}`);
        sendJsonError(res, 500, -32603, 'Gatehouse failed to handle the request; see its log.');
      });
    });
    // Header and request timeouts keep a stalled local client from holding sockets forever.
    this.server.headersTimeout = 30_000;
    this.server.requestTimeout = 0; // SSE streams are long-lived
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
      this.server.once('error', onError);
      this.server.listen(this.options.port, '127.0.0.1', () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0]!;
    const hostIssue = hostProblem(req);
    if (hostIssue) return sendJsonError(res, 403, -32000, `Forbidden: ${hostIssue}.`);
    const originIssue = originProblem(req, this.port);
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
    const extra = this.options.routes?.find((r) => path.startsWith(r.prefix));
    if (extra?.public) return extra.handler(req, res, undefined);

    const clientId = await this.gate.check(bearerToken(req));
    if (!clientId)
      return sendJsonError(res, 401, -32000, UNAUTHORIZED, { 'www-authenticate': 'Bearer realm="gatehouse"' });

    if (extra) return extra.handler(req, res, clientId);
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

  async close(): Promise<void> {
    this.endpoint.closeAll();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

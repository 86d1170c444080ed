import path from 'node:path';
import { loadGatewayConfig, type ServerConfig } from '../config/index.ts';
import { Listener, type RouteHandler } from '../listener/index.ts';
import { Router, type AccessControl, type RequestDone } from '../router/index.ts';
import { LocalTokenStore } from '../tokens/index.ts';
import { UpstreamPool, type HeaderSource } from '../upstream/index.ts';
import { ServerToggles } from './toggles.ts';
import { GATEHOUSE_VERSION } from './version.ts';

export type GatewayDeps = {
  dataDir: string;
  port: number;
  /** Servers from a config file in the `mcpServers` shape… */
  configFile?: string;
  /** …or given directly (tests, the demo). */
  servers?: ServerConfig[];
  access?: AccessControl;
  headersFor?: (server: ServerConfig) => HeaderSource;
  onRequestDone?: (done: RequestDone) => void;
  routes?: { prefix: string; handler: RouteHandler; public?: boolean }[];
  log?: (line: string) => void;
};

export type Gateway = {
  readonly port: number;
  /** The aggregated endpoint, e.g. http://127.0.0.1:7391/mcp */
  readonly endpoint: string;
  serverEndpoint(name: string): string;
  readonly pool: UpstreamPool;
  readonly router: Router;
  readonly tokens: LocalTokenStore;
  setServerEnabled(name: string, enabled: boolean): Promise<void>;
  close(): Promise<void>;
};

/**
 * Composes the headless gateway: upstream pool, session router, localhost listener. Everything
 * the host (CLI or Electron shell) differs in comes in through `deps`.
 */
export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const servers = deps.servers ?? (deps.configFile ? await loadGatewayConfig(deps.configFile) : []);
  const toggles = new ServerToggles(deps.dataDir);
  const tokens = new LocalTokenStore(deps.dataDir);
  // The pool reports to the router, which needs the pool: bound late through this holder.
  const late: { router?: Router } = {};
  const pool = new UpstreamPool({
    servers: servers.map((s) => ({ ...s, disabled: !toggles.isEnabled(s.name, !s.disabled) })),
    cacheDir: path.join(deps.dataDir, 'cache', 'lists'),
    clientInfo: { name: 'gatehouse', version: GATEHOUSE_VERSION },
    ...(deps.headersFor && { headersFor: deps.headersFor }),
    events: {
      onServerRequest: (c, request, related) => late.router!.onServerRequest(c, request, related),
      onNotification: (c, notification, related) => late.router?.onNotification(c, notification, related),
      onServerChanged: (server, what, kinds) => late.router?.onServerChanged(server, what, kinds),
    },
  });
  const router = new Router({
    pool,
    version: GATEHOUSE_VERSION,
    ...(deps.access && { access: deps.access }),
    ...(deps.onRequestDone && { onRequestDone: deps.onRequestDone }),
  });
  late.router = router;
  const listener = new Listener({
    port: deps.port,
    router,
    tokens,
    ...(deps.routes && { routes: deps.routes }),
    ...(deps.log && { log: deps.log }),
  });
  await listener.listen();
  pool.start();
  const base = `http://127.0.0.1:${listener.port}`;
  return {
    port: listener.port,
    endpoint: `${base}/mcp`,
    serverEndpoint: (name) => `${base}/servers/${name}/mcp`,
    pool,
    router,
    tokens,
    async setServerEnabled(name, enabled) {
      if (!pool.get(name)) throw new Error(`No server named '${name}' is configured.`);
      await toggles.set(name, enabled);
      await pool.setEnabled(name, enabled);
    },
    async close() {
      await listener.close();
      router.closeAll();
      await pool.close();
    },
  };
}

import path from 'node:path';
import { loadGatewayConfig, type ServerConfig } from '../config/index.ts';
import { Listener, type RouteHandler } from '../listener/index.ts';
import { OrgMode, type OrgModeDeps } from '../org/index.ts';
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
  /** Org mode: sign-in, synced policy, identity forwarding. Absent: personal mode. */
  org?: Omit<OrgModeDeps, 'dataDir' | 'personalServers' | 'toggles' | 'log'>;
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
  readonly org: OrgMode | undefined;
  /** Turns a server on or off for this user; refused (with the reason) where the policy decides. */
  setServerEnabled(name: string, enabled: boolean): Promise<void>;
  close(): Promise<void>;
};

/**
 * Composes the headless gateway: upstream pool, session router, localhost listener, and in org
 * mode the sign-in and policy. Everything the host (CLI or Electron shell) differs in comes in
 * through `deps`.
 */
export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const personal = deps.servers ?? (deps.configFile ? await loadGatewayConfig(deps.configFile) : []);
  const toggles = new ServerToggles(deps.dataDir);
  const tokens = new LocalTokenStore(deps.dataDir);
  const org = deps.org
    ? new OrgMode({
        ...deps.org,
        dataDir: deps.dataDir,
        personalServers: personal,
        toggles: () => toggles.choices(),
        ...(deps.log && { log: deps.log }),
      })
    : undefined;
  const personalWithToggles = () => personal.map((s) => ({ ...s, disabled: !toggles.isEnabled(s.name, !s.disabled) }));
  const currentServers = () => (org ? org.servers() : personalWithToggles());

  // The pool reports to the router, which needs the pool: bound late through this holder.
  const late: { router?: Router } = {};
  const pool = new UpstreamPool({
    servers: currentServers(),
    cacheDir: path.join(deps.dataDir, 'cache', 'lists'),
    clientInfo: { name: 'gatehouse', version: GATEHOUSE_VERSION },
    ...((org || deps.headersFor) && {
      headersFor: (s: ServerConfig) => (org ? org.headersFor(s) : deps.headersFor!(s)),
    }),
    events: {
      onServerRequest: (c, request, related) => late.router!.onServerRequest(c, request, related),
      onNotification: (c, notification, related) => late.router?.onNotification(c, notification, related),
      onServerChanged: (server, what, kinds) => late.router?.onServerChanged(server, what, kinds),
    },
  });
  const router = new Router({
    pool,
    version: GATEHOUSE_VERSION,
    ...((org ?? deps.access) && { access: org ?? deps.access }),
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

  if (org) {
    // Policy, sign-in and stale-state changes: re-plan the servers, and tell open sessions when what
    // they may see changed. Decisions are per request anyway, so a revocation bites at once.
    let fingerprint = '';
    let reconciling = Promise.resolve();
    org.onChange(() => {
      reconciling = reconciling.then(async () => {
        const servers = org.servers();
        const status = org.status();
        const next = JSON.stringify([
          servers,
          status.user?.sub,
          status.policy?.version,
          status.policy?.state === 'stale',
        ]);
        if (next === fingerprint) return;
        fingerprint = next;
        await pool.reconcile(servers);
        router.onServerChanged(undefined, 'lists');
      });
    });
    // Not awaited: a slow IdP or policy endpoint must not delay the listener; personal servers work meanwhile.
    org.start().catch((error: Error) => deps.log?.(`org mode: ${error.message}`));
  }

  const base = `http://127.0.0.1:${listener.port}`;
  return {
    port: listener.port,
    endpoint: `${base}/mcp`,
    serverEndpoint: (name) => `${base}/servers/${name}/mcp`,
    pool,
    router,
    tokens,
    org,
    async setServerEnabled(name, enabled) {
      if (!currentServers().some((s) => s.name === name)) throw new Error(`No server named '${name}' is configured.`);
      const previous = toggles.choices()[name];
      await toggles.set(name, enabled);
      const target = currentServers().find((s) => s.name === name)!;
      if (!target.disabled !== enabled) {
        await toggles.set(name, previous);
        const decision = router.access.server(name, { sessionId: '', localClientId: '' });
        throw new Error(
          enabled
            ? `Server '${name}' cannot be turned on: ${decision.allow ? 'it is off by policy' : decision.reason}`
            : `Server '${name}' is locked on by your organisation's policy.`,
        );
      }
      await pool.reconcile(currentServers());
    },
    async close() {
      await org?.close();
      await listener.close();
      router.closeAll();
      await pool.close();
    },
  };
}

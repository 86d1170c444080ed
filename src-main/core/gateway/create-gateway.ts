import path from 'node:path';
import { windowRoutes, type ChangeTopic, type GatewayApi } from '../api/index.ts';
import { auditDirIn, openAuditLog, type AuditLog, type AuditOutbox } from '../audit/index.ts';
import {
  ClientConnections,
  hostFromProcess,
  localTokenDeps,
  type BridgeLauncher,
  type HostEnvironment,
} from '../clients/index.ts';
import { loadGatewayConfig, type ServerConfig } from '../config/index.ts';
import { Listener, type RouteHandler } from '../listener/index.ts';
import { PersonalCredentials, type CredentialsHost } from '../credentials/index.ts';
import { followSignInNeeded, OrgMode, type OrgModeDeps } from '../org/index.ts';
import { allowAll, Router, type AccessControl, type AccessDecision, type RequestDone } from '../router/index.ts';
import { LocalTokenStore } from '../tokens/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import { UpstreamPool, type HeaderSource } from '../upstream/index.ts';
import type { UpstreamOAuth } from '../upstream-auth/index.ts';
import { createApiService } from './api-service.ts';
import {
  auditRequests,
  redactionFromPolicy,
  retentionDaysFor,
  startOrgAuditShipping,
  watchAuditWarnings,
} from './audit-bridge.ts';
import { GatewaySettings } from './settings.ts';
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
  /** Where per-user OAuth tokens for remote servers live in personal mode (org mode: the org's store). */
  secretStore?: SecretStore;
  /** Opens the system browser to connect a remote server in personal mode (org mode: the org's). */
  openBrowser?: (url: string) => Promise<void>;
  onRequestDone?: (done: RequestDone) => void;
  /** false: calls are not recorded (the bench's baseline); the log still opens for the API. */
  audit?: false;
  /**
   * Write each call's audit record before its answer instead of right after it (GATEHOUSE_AUDIT=strict);
   * an org policy with `auditRequired` turns this on too. See docs/audit.md, "Durability".
   */
  recordBeforeAnswer?: boolean;
  routes?: { prefix: string; handler: RouteHandler; public?: boolean }[];
  /** Where AI client configs live (tests pass a temp HOME); the real machine's by default. */
  host?: HostEnvironment;
  /** How AI clients that need the stdio bridge start it (the Electron app passes its own executable). */
  bridgeLauncher?: BridgeLauncher;
  /** Folder of the built window bundle served at /ui (default: dist-renderer in the checkout). */
  rendererRoot?: string;
  /** Org URL as the user or IT configured it, for the window's settings. */
  orgUrl?: { url: string | null; managed: boolean };
  /** The app's "Try the demo org" (src-main/demo/app-demo.ts); the API's startDemo/stopDemo call it. */
  demo?: DemoHooks;
  log?: (line: string) => void;
};

export type DemoHooks = { readonly active: boolean; start(): Promise<void>; stop(): Promise<void> };

export type Gateway = {
  readonly port: number;
  /** The aggregated endpoint, e.g. http://127.0.0.1:7391/mcp */
  readonly endpoint: string;
  serverEndpoint(name: string): string;
  readonly pool: UpstreamPool;
  readonly router: Router;
  readonly tokens: LocalTokenStore;
  readonly org: OrgMode | undefined;
  /** Upstream credentials the window sets and lists: org mode's, or personal mode's with a secret store. */
  readonly credentials: CredentialsHost | undefined;
  readonly audit: AuditLog;
  readonly clients: ClientConnections;
  /** Per-user OAuth to remote servers; undefined without a secret store. */
  readonly upstreamAuth: UpstreamOAuth | undefined;
  /** The window's and the CLI's API (src-main/core/api/contract.ts). */
  readonly api: GatewayApi;
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
  const settings = new GatewaySettings(deps.dataDir);
  const tokens = new LocalTokenStore(deps.dataDir);
  const changes = new ChangeHub();
  const authorizationUrls = new UrlWaiters();
  const org = deps.org
    ? new OrgMode({
        ...deps.org,
        // The window shows the sign-in link too, in case no browser opened.
        openBrowser: async (url) => {
          authorizationUrls.resolve(url);
          await deps.org!.openBrowser(url);
        },
        dataDir: deps.dataDir,
        registerSecret: (value) => audit.registerSecret(value),
        personalServers: personal,
        toggles: () => toggles.choices(),
        ...(deps.log && { log: deps.log }),
      })
    : undefined;
  const audit = await openAuditLog({
    dir: auditDirIn(deps.dataDir),
    redaction: redactionFromPolicy(undefined),
    retention: { maxAgeMs: settings.get().auditRetentionDays * 86_400_000 },
  });
  const paused = { value: false };
  // Local client tokens must never show up in a record, even if an agent pastes one into a tool call.
  for (const token of await tokens.values()) audit.registerSecret(token);
  const personalWithToggles = () => personal.map((s) => ({ ...s, disabled: !toggles.isEnabled(s.name, !s.disabled) }));
  const currentServers = () => (org ? org.servers() : personalWithToggles());
  // Personal mode with a secret store: keys the user enters for their own servers.
  const personalCredentials =
    !org && deps.secretStore
      ? new PersonalCredentials({ store: deps.secretStore, registerSecret: (value) => audit.registerSecret(value) })
      : undefined;
  // Per-user OAuth to remote servers: tokens only in the secret store, masked in audit records.
  const oauthStore = deps.org?.secretStore ?? deps.secretStore;
  // Loaded only with a secret store to keep tokens in; the SDK's OAuth client inside it (~8 MB
  // resident with its zod schemas) loads only when a server first asks for a sign-in.
  const oauth = oauthStore && { store: oauthStore, ...(await import('../upstream-auth/index.ts')) };
  const upstreamAuth = oauth
    ? new oauth.UpstreamOAuth({
        secretStore: oauth.store,
        openBrowser: deps.org?.openBrowser ?? deps.openBrowser ?? (async () => undefined),
        servers: () => currentServers(),
        owner: () => (org ? (org.currentUser()?.sub ?? null) : null),
        registerSecret: (value) => audit.registerSecret(value),
        onConnected: (server) => pool.reconnect(server),
        onChange: () => changes.emit('servers'),
        // Servers that get an Authorization header from the policy (the IdP's token for their
        // audience, an exchanged token, an org or user credential) are not signed in to separately.
        sendsOwnAuthorization: (s) => {
          const entry = org?.currentPolicy()?.servers[s.name];
          if (entry === undefined || !('url' in entry)) return false;
          return (
            entry.identity?.accessToken !== undefined ||
            entry.identity?.tokenExchange !== undefined ||
            (entry.credentials ?? []).some((c) => 'header' in c && /^authorization$/i.test(c.header))
          );
        },
        ...(deps.org?.fetch && { fetch: deps.org.fetch }),
        ...(deps.log && { log: deps.log }),
      })
    : undefined;

  // The pool reports to the router, which needs the pool: bound late through this holder.
  const late: { router?: Router } = {};
  const pool = new UpstreamPool({
    servers: currentServers(),
    cacheDir: path.join(deps.dataDir, 'cache', 'lists'),
    clientInfo: { name: 'gatehouse', version: GATEHOUSE_VERSION },
    ...((org || deps.headersFor || personalCredentials) && {
      headersFor: (s: ServerConfig) =>
        org
          ? org.headersFor(s)
          : personalCredentials
            ? personalCredentials.headersFor(s, deps.headersFor?.(s))
            : deps.headersFor!(s),
    }),
    ...(upstreamAuth && { authFor: (s: ServerConfig) => upstreamAuth.authFor(s) }),
    ...((org || personalCredentials) && {
      secretEnvFor: (s: ServerConfig) => (org ?? personalCredentials!).secretEnvFor(s),
    }),
    events: {
      onServerRequest: (c, request, related) => late.router!.onServerRequest(c, request, related),
      onNotification: (c, notification, related) => late.router?.onNotification(c, notification, related),
      onServerChanged: (server, what, kinds) => {
        late.router?.onServerChanged(server, what, kinds);
        changes.emit('servers');
        if (what === 'lists') changes.emit('tools');
      },
    },
  });
  const recordRequest = deps.audit === false ? undefined : auditRequests(audit, org);
  const router = new Router({
    pool,
    version: GATEHOUSE_VERSION,
    access: pausable(
      auditGuarded(org ?? deps.access ?? allowAll, () =>
        org?.currentPolicy()?.auditRequired ? audit.writeFailure() : undefined,
      ),
      paused,
    ),
    // Strict: no answer without its record even if the gateway is killed in the next microsecond, at
    // the price of the record's work (~0.1 ms, ~0.5 ms for a 100 KB result) before every answer.
    // Default: the call is noted right after its answer, and its record built and written while the
    // gateway next waits on a server, or before the next answer (AuditLog.appendSoon).
    recordBeforeAnswer: () => deps.recordBeforeAnswer === true || org?.currentPolicy()?.auditRequired === true,
    onRequestDone: (done, beforeAnswer) => {
      recordRequest?.(done, beforeAnswer);
      deps.onRequestDone?.(done);
    },
    flushDeferred: () => audit.writePending(),
    hasDeferred: () => audit.hasPending,
  });
  late.router = router;
  // Read per request by the listener, so the window's routes can be added once the API exists.
  const routes = [...(deps.routes ?? [])];
  const listener = new Listener({ port: deps.port, router, tokens, routes, ...(deps.log && { log: deps.log }) });
  await listener.listen();
  pool.start();

  // A credential a server uses changed (org secret rotated or revoked, the user entered one).
  (org?.credentials ?? personalCredentials)?.onChange((names) => {
    for (const name of names) void pool.credentialsChanged(name);
    changes.emit('servers');
  });

  let outboxes: AuditOutbox[] = [];
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
        audit.setRedaction(redactionFromPolicy(org.currentPolicy()));
        await audit.setRetention({
          maxAgeMs: retentionDaysFor(org.currentPolicy(), settings.get().auditRetentionDays) * 86_400_000,
        });
        await pool.reconcile(servers);
        router.onServerChanged(undefined, 'lists');
        changes.emit('status');
      });
      // One failed re-plan must not stop the next ones (a rejected chain would skip them all).
      reconciling = reconciling.catch((error: Error) =>
        deps.log?.(`org mode: could not apply a change: ${error.message}`),
      );
    });
    // The org's audit sinks (HTTPS batches and/or OTLP logs), each shipping from the durable log.
    outboxes = await startOrgAuditShipping({
      audit,
      org,
      config: deps.org!.org,
      secretStore: deps.org!.secretStore,
      ...(deps.org!.fetch && { fetch: deps.org!.fetch }),
      ...(deps.log && { log: deps.log }),
    });
    if (upstreamAuth && oauth) oauth.followOrgForUpstreamAuth(org, upstreamAuth, (server) => pool.reconnect(server));
    // A new sign-in asked for by the policy, or made: tell the window; servers it cleared connect at once.
    followSignInNeeded(org, (cleared) => {
      for (const name of cleared) void pool.credentialsChanged(name);
      changes.emit('status');
    });
    // Not awaited: a slow IdP or policy endpoint must not delay the listener; personal servers work meanwhile.
    org.start().catch((error: Error) => deps.log?.(`org mode: ${error.message}`));
  }

  const base = `http://127.0.0.1:${listener.port}`;
  const clients = new ClientConnections({
    host: deps.host ?? hostFromProcess(),
    dataDir: deps.dataDir,
    port: listener.port,
    ...localTokenDeps(deps.dataDir),
    ...(deps.bridgeLauncher && { bridgeLauncher: deps.bridgeLauncher }),
  });
  const gateway: Gateway = {
    port: listener.port,
    endpoint: `${base}/mcp`,
    serverEndpoint: (name) => `${base}/servers/${name}/mcp`,
    pool,
    router,
    tokens,
    org,
    credentials: org ?? personalCredentials,
    audit,
    clients,
    upstreamAuth,
    api: undefined as unknown as GatewayApi,
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
      window.close();
      await org?.close();
      await upstreamAuth?.close();
      for (const outbox of outboxes) await outbox.stop();
      await listener.close();
      router.closeAll();
      await pool.close();
      await audit.close();
    },
  };
  const api = createApiService({
    gateway,
    audit,
    clients,
    settings,
    nextAuthorizationUrl: () => authorizationUrls.next(),
    orgUrl: deps.orgUrl?.url ?? null,
    orgUrlManaged: deps.orgUrl?.managed ?? false,
    dataDir: deps.dataDir,
    onChange: (listener) => changes.on(listener),
    paused,
    outboxes: () => outboxes,
    ...(deps.demo && { demo: deps.demo }),
  });
  // Audit write errors and sink backlogs are part of the status the window and the tray show.
  watchAuditWarnings(audit, outboxes, () => changes.emit('status'));
  (gateway as { api: GatewayApi }).api = api;
  const window = windowRoutes(api, deps.rendererRoot ? { rendererRoot: deps.rendererRoot } : {});
  routes.push(...window.routes);
  return gateway;
}

/** Pausing (tray menu) refuses every call with a clear reason, without touching the policy. */
function pausable(inner: AccessControl, paused: { value: boolean }): AccessControl {
  const reason = 'Gatehouse is paused: resume it from the tray menu or the window to use MCP servers again.';
  return {
    server: (server, who) => (paused.value ? { allow: false, reason } : inner.server(server, who)),
    item: (server, kind, name, who) => (paused.value ? { allow: false, reason } : inner.item(server, kind, name, who)),
  };
}

/**
 * An org whose policy says `auditRequired` wants no call to run unrecorded: while the audit log
 * cannot be written, every request is refused with the reason (the window and tray show the
 * write error too). The servers keep running, so calls resume as soon as a record can be written.
 */
function auditGuarded(inner: AccessControl, failure: () => string | undefined): AccessControl {
  const refuse = (reason: string): AccessDecision => ({
    allow: false,
    reason: `Your organisation requires every call to be recorded, and Gatehouse cannot write its audit log (${reason}). Free disk space or fix the data folder's permissions; calls work again as soon as a record can be written.`,
    rule: 'auditRequired',
  });
  return {
    server: (server, who) => {
      const reason = failure();
      return reason ? refuse(reason) : inner.server(server, who);
    },
    item: (server, kind, name, who) => {
      const reason = failure();
      return reason ? refuse(reason) : inner.item(server, kind, name, who);
    },
  };
}

/** Topic listeners for the window's live events. */
class ChangeHub {
  private readonly listeners = new Set<(topic: ChangeTopic) => void>();
  on(listener: (topic: ChangeTopic) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(topic: ChangeTopic): void {
    for (const listener of this.listeners) listener(topic);
  }
}

/** The next sign-in URL the org mode opens, for whoever asked to sign in. */
class UrlWaiters {
  private waiting: ((url: string) => void)[] = [];
  next(): Promise<string> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  resolve(url: string): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve(url);
  }
}

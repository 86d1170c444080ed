import type { ServerConfig } from '../config/index.ts';
import type { JsonRpcNotification } from '../jsonrpc/messages.ts';
import { UpstreamConnection, type UpstreamHandlers } from './connection.ts';
import { consentLists } from './consent-lists.ts';
import { StreamableHttpUpstream, type HeaderSource } from './http-transport.ts';
import { configHash, ListCache, type Listed, type ServerLists } from './list-cache.ts';
import { createLegacySseUpstream, StdioUpstream } from './sdk-transports.ts';
import { StdioWithSecretsUpstream } from './stdio-with-secrets.ts';
import type { UpstreamTransport } from './transport.ts';

/** Looks up a stdio server's secret environment variables; called at every start. */
export type SecretEnv = () => Promise<Record<string, string>>;

/** OAuth for one remote server (src-main/core/upstream-auth): its bearer header and its 401 handler. */
export type UpstreamAuth = {
  /** Synchronous when nothing has to be read or renewed (the common case: no promise per request). */
  headers(): Record<string, string> | Promise<Record<string, string>>;
  unauthorized: NonNullable<UpstreamTransport['onunauthorized']>;
};

const DEFAULT_TIMEOUT_MS = 120_000;

export type PoolEvents = Pick<UpstreamHandlers, 'onServerRequest' | 'onNotification'> & {
  /** A server's lists (tools, prompts, resources) or its state changed. */
  onServerChanged(server: string, what: 'lists' | 'state', kinds?: ListKind[]): void;
};

export type ListKind = 'tools' | 'prompts' | 'resources';

export type UpstreamEntry = {
  config: ServerConfig;
  connection: UpstreamConnection;
  lists: ServerLists | undefined;
  enabled: boolean;
  hash: string;
};

const LIST_CHANGED: Record<string, true> = {
  'notifications/tools/list_changed': true,
  'notifications/prompts/list_changed': true,
  'notifications/resources/list_changed': true,
};

/**
 * Every configured upstream server, its shared connection and its cached lists. Servers connect
 * in the background at start; one slow or broken server never holds up the others.
 */
export class UpstreamPool {
  private readonly entries = new Map<string, UpstreamEntry>();
  private readonly cache: ListCache;
  private readonly events: PoolEvents;
  private readonly listWaiters = new Map<string, (() => void)[]>();
  private closed = false;

  private readonly handlers: UpstreamHandlers;
  private readonly clientInfo: { name: string; version: string };
  private readonly headersFor: ((server: ServerConfig) => HeaderSource) | undefined;
  private readonly authFor: ((server: ServerConfig) => UpstreamAuth | undefined) | undefined;
  private readonly secretEnvFor: ((server: ServerConfig) => SecretEnv | undefined) | undefined;
  private started = false;

  constructor(options: {
    servers: ServerConfig[];
    cacheDir: string;
    events: PoolEvents;
    clientInfo: { name: string; version: string };
    /** Extra headers per remote server (identity forwarding, injected credentials). */
    headersFor?: (server: ServerConfig) => HeaderSource;
    /** OAuth per remote server (per-user tokens); undefined for servers that never use it. */
    authFor?: (server: ServerConfig) => UpstreamAuth | undefined;
    /** Secret environment variables per stdio server, looked up at each start (injected credentials). */
    secretEnvFor?: (server: ServerConfig) => SecretEnv | undefined;
  }) {
    this.cache = new ListCache(options.cacheDir);
    this.events = options.events;
    this.clientInfo = options.clientInfo;
    this.headersFor = options.headersFor;
    this.authFor = options.authFor;
    this.secretEnvFor = options.secretEnvFor;
    this.handlers = {
      onServerRequest: (c, request, related) => this.events.onServerRequest(c, request, related),
      onNotification: (c, notification, related) => this.onNotification(c, notification, related),
      onStateChange: (c) => {
        // A server waiting for the user's consent and never listed offers one tool that says so.
        const entry = this.entries.get(c.name);
        if (c.needsAuth && entry && !entry.lists) {
          entry.lists = consentLists(c.name, entry.hash);
          this.events.onServerChanged(c.name, 'lists', ['tools']);
        }
        // A server that failed will not bring lists soon: nobody should keep waiting for it.
        if (c.state === 'error') this.wakeListWaiters(c.name);
        this.events.onServerChanged(c.name, 'state');
      },
      onConnected: (c) => void this.refreshLists(c.name),
    };
    for (const config of options.servers) this.entries.set(config.name, this.createEntry(config));
  }

  private createEntry(config: ServerConfig): UpstreamEntry {
    const headers = this.headersFor?.(config) ?? (() => ({}));
    const hash = serverHash(config);
    const connection = new UpstreamConnection({
      name: config.name,
      createTransport: () => {
        const secretEnv = config.transport === 'stdio' ? this.secretEnvFor?.(config) : undefined;
        return secretEnv && config.transport === 'stdio'
          ? new StdioWithSecretsUpstream(
              { command: config.command, args: config.args, env: config.env, cwd: config.cwd },
              secretEnv,
            )
          : createTransport(config, headers, this.authFor?.(config));
      },
      handlers: this.handlers,
      timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      clientInfo: this.clientInfo,
    });
    return { config, connection, hash, enabled: !config.disabled, lists: this.cache.read(config.name, hash) };
  }

  /**
   * Makes the pool serve exactly `servers` (a new org policy, a sign-out): new ones are added,
   * missing ones stopped, changed ones restarted; unchanged ones keep their connection.
   */
  async reconcile(servers: ServerConfig[]): Promise<void> {
    const wanted = new Map(servers.map((s) => [s.name, s]));
    const stopping: Promise<void>[] = [];
    for (const [name, entry] of this.entries) {
      const next = wanted.get(name);
      if (next && serverHash(next) === entry.hash) {
        const enabled = !next.disabled;
        if (entry.enabled !== enabled) stopping.push(this.setEnabled(name, enabled));
        continue;
      }
      this.entries.delete(name);
      stopping.push(entry.connection.close());
      this.events.onServerChanged(name, 'lists');
    }
    await Promise.all(stopping);
    for (const [name, config] of wanted) {
      if (this.entries.has(name)) continue;
      const entry = this.createEntry(config);
      this.entries.set(name, entry);
      if (this.started && entry.enabled) entry.connection.connect().catch(() => {});
      this.events.onServerChanged(name, 'lists');
    }
  }

  /** Starts connecting every enabled server in the background. */
  start(): void {
    this.started = true;
    for (const entry of this.entries.values()) {
      if (entry.enabled) entry.connection.connect().catch(() => {});
    }
  }

  get(name: string): UpstreamEntry | undefined {
    return this.entries.get(name);
  }

  all(): UpstreamEntry[] {
    return [...this.entries.values()];
  }

  enabledEntries(): UpstreamEntry[] {
    return this.all().filter((e) => e.enabled);
  }

  /** The server's credentials changed (the user connected it): connect now, not at the next call. */
  reconnect(name: string): void {
    const entry = this.entries.get(name);
    if (!entry || !entry.enabled || this.closed) return;
    if (entry.connection.state === 'ready') void this.refreshLists(name);
    else entry.connection.connect().catch(() => {});
  }

  /**
   * A server's injected credentials changed. A running stdio process (its environment is fixed) and
   * a failed connection start afresh now; a remote server sends the new values with its next request.
   */
  async credentialsChanged(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry || !entry.enabled || this.closed) return;
    const { state } = entry.connection;
    if (state !== 'error' && !(state === 'ready' && entry.config.transport === 'stdio')) return;
    await entry.connection.close();
    entry.connection.reopen();
    entry.connection.connect().catch(() => {});
  }

  async setEnabled(name: string, enabled: boolean): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry || entry.enabled === enabled) return;
    entry.enabled = enabled;
    if (enabled) {
      entry.connection.reopen();
      entry.connection.connect().catch(() => {});
    } else {
      await entry.connection.close();
    }
    this.events.onServerChanged(name, 'lists');
  }

  /**
   * Resolves when every named server has lists (cached or live) or after `ms`, whichever is first:
   * a client's first tools/list waits a little for servers never seen before, never for slow ones
   * that have a cache.
   */
  async waitForLists(names: string[], ms: number): Promise<void> {
    const missing = names.filter((n) => {
      const e = this.entries.get(n);
      return e && e.enabled && !e.lists && e.connection.state !== 'error';
    });
    if (missing.length === 0 || ms <= 0) return;
    await new Promise<void>((resolve) => {
      let left = missing.length;
      const timer = setTimeout(resolve, ms);
      for (const name of missing) {
        const list = this.listWaiters.get(name) ?? [];
        list.push(() => {
          if (--left === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
        this.listWaiters.set(name, list);
      }
    });
  }

  /** Fetches every list the server offers (all pages), caches it and tells the router. */
  async refreshLists(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry || !entry.enabled || this.closed) return;
    const { connection } = entry;
    const init = connection.initializeResult;
    if (!init) return;
    const caps = init.capabilities ?? {};
    try {
      const [tools, prompts, resources, resourceTemplates] = await Promise.all([
        caps.tools ? this.fetchAll(entry, 'tools/list', 'tools') : [],
        caps.prompts ? this.fetchAll(entry, 'prompts/list', 'prompts') : [],
        caps.resources ? this.fetchAll(entry, 'resources/list', 'resources') : [],
        caps.resources ? this.fetchAll(entry, 'resources/templates/list', 'resourceTemplates') : [],
      ]);
      const before = entry.lists;
      entry.lists = {
        configHash: entry.hash,
        fetchedAt: new Date().toISOString(),
        protocolVersion: init.protocolVersion,
        capabilities: caps,
        serverInfo: init.serverInfo,
        ...(init.instructions !== undefined && { instructions: init.instructions }),
        tools,
        prompts,
        resources,
        resourceTemplates,
      };
      await this.cache.write(name, entry.lists).catch(() => {});
      const changed = changedKinds(before, entry.lists);
      this.wakeListWaiters(name);
      if (changed.length > 0) this.events.onServerChanged(name, 'lists', changed);
    } catch {
      // Keep the previous (cached) lists; the state shows the error.
      this.wakeListWaiters(name);
    }
  }

  private wakeListWaiters(name: string): void {
    const waiters = this.listWaiters.get(name);
    this.listWaiters.delete(name);
    for (const wake of waiters ?? []) wake();
  }

  private async fetchAll(entry: UpstreamEntry, method: string, key: string): Promise<Listed[]> {
    const items: Listed[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const result = await entry.connection.request(method, cursor ? { cursor } : undefined);
      const batch = result[key];
      if (Array.isArray(batch)) items.push(...(batch as Listed[]));
      cursor = typeof result.nextCursor === 'string' && result.nextCursor ? result.nextCursor : undefined;
      if (!cursor) break;
    }
    return items;
  }

  private onNotification(
    connection: UpstreamConnection,
    notification: JsonRpcNotification,
    related: Parameters<UpstreamHandlers['onNotification']>[2],
  ): void {
    if (LIST_CHANGED[notification.method]) {
      void this.refreshLists(connection.name);
    }
    this.events.onNotification(connection, notification, related);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.all().map((e) => e.connection.close()));
  }
}

/** Identity of a server's config for the list cache and restarts; on/off is state, not config. */
function serverHash(config: ServerConfig): string {
  const { disabled: _disabled, ...rest } = config;
  return configHash(rest);
}

/** Which lists differ, so clients re-fetch only what changed (and nothing after a no-op refresh). */
function changedKinds(before: ServerLists | undefined, after: ServerLists): ListKind[] {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const kinds: ListKind[] = [];
  if (!same(before?.tools, after.tools)) kinds.push('tools');
  if (!same(before?.prompts, after.prompts)) kinds.push('prompts');
  if (!same(before?.resources, after.resources) || !same(before?.resourceTemplates, after.resourceTemplates))
    kinds.push('resources');
  return kinds;
}

function createTransport(
  config: ServerConfig,
  headers: HeaderSource,
  auth: UpstreamAuth | undefined,
): UpstreamTransport {
  if (config.transport === 'stdio') {
    return new StdioUpstream({ command: config.command, args: config.args, env: config.env, cwd: config.cwd });
  }
  const staticHeaders = config.headers ?? {};
  // Synchronous when every source is: a request then waits on no promise for its headers
  // (docs/architecture.md, Performance: the request path).
  const merged: HeaderSource = () => {
    const dynamic = headers();
    const bearer = auth?.headers();
    if (dynamic instanceof Promise || bearer instanceof Promise) {
      return Promise.all([dynamic, bearer]).then(([resolved, oauth]) => ({ ...staticHeaders, ...resolved, ...oauth }));
    }
    return { ...staticHeaders, ...dynamic, ...bearer };
  };
  const url = new URL(config.url);
  const transport =
    config.transport === 'sse' ? createLegacySseUpstream(url, merged) : new StreamableHttpUpstream(url, merged);
  if (auth) transport.onunauthorized = auth.unauthorized;
  return transport;
}

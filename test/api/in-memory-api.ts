// A small in-memory GatewayApi for the adapter tests and for browser tests of the window's own
// behaviour (100,000 log rows, states the real core rarely shows at once). The end-to-end tests
// in test/e2e use the real core instead.
import type {
  AuditRecord,
  ClientInfo,
  ConnectionInfo,
  CredentialInfo,
  GatewayApi,
  GatewayEvent,
  GatewayEventListener,
  ServerInfo,
  Settings,
  Status,
  ToolInfo,
} from '../../src-main/core/api/index.ts';
import { ApiError, matchesAuditFilter } from '../../src-main/core/api/index.ts';

export type InMemoryApi = GatewayApi & {
  emit(event: GatewayEvent): void;
  /** Appends a record (a tools/call now, unless said otherwise) and streams it to subscribers. */
  addRecord(record: Pick<AuditRecord, 'server' | 'outcome'> & Partial<AuditRecord>): AuditRecord;
  readonly records: AuditRecord[];
  readonly calls: { method: string; input: unknown }[];
  listenerCount(): number;
};

export function createInMemoryApi(): InMemoryApi {
  const listeners = new Set<GatewayEventListener>();
  const calls: { method: string; input: unknown }[] = [];
  const records: AuditRecord[] = []; // oldest first
  const credentials: CredentialInfo[] = [
    { server: 'linear', target: 'header', name: 'X-Api-Key', source: 'user', label: 'Linear API key', set: false },
    { server: 'github', target: 'env', name: 'GITHUB_TOKEN', source: 'org', label: 'GITHUB_TOKEN', set: true },
  ];
  const connections: ConnectionInfo[] = [
    {
      server: 'linear',
      state: 'connected',
      user: 'ada@example.test',
      authorizationServer: 'https://auth.linear.example',
      expiresAt: '2030-01-01T10:00:00.000Z',
      connectedAt: '2030-01-01T09:00:00.000Z',
      lastRefreshAt: null,
    },
    {
      server: 'sentry',
      state: 'needs-consent',
      user: null,
      authorizationServer: null,
      expiresAt: null,
      connectedAt: null,
      lastRefreshAt: null,
    },
  ];
  let nextId = 1;
  let paused = false;
  let signedIn = true;

  const servers: ServerInfo[] = [
    { name: 'everything', transport: 'stdio', enabled: true, state: 'ready', lockedByPolicy: false, toolCount: 3 },
    { name: 'memory', transport: 'stdio', enabled: true, state: 'ready', lockedByPolicy: false, toolCount: 2 },
    {
      name: 'github',
      transport: 'http',
      enabled: true,
      state: 'ready',
      lockedByPolicy: true,
      lockReason: 'Required by Acme IT for all engineers',
      toolCount: 4,
    },
    {
      name: 'jira',
      transport: 'sse',
      enabled: true,
      state: 'error',
      lockedByPolicy: false,
      lastError: 'Connection refused by https://jira.example.com/mcp (ECONNREFUSED). Check the URL or your VPN.',
      toolCount: null,
    },
    {
      name: 'shell',
      transport: 'stdio',
      enabled: false,
      state: 'denied',
      lockedByPolicy: true,
      lockReason: 'Blocked by policy: local shell access',
      toolCount: null,
    },
  ];
  const tools: Record<string, ToolInfo[]> = {
    everything: [
      { name: 'echo', description: 'Echoes back the input', allowed: true, rule: 'allow servers everything' },
      { name: 'add', description: 'Adds two numbers', allowed: true, rule: 'allow servers everything' },
      {
        name: 'printEnv',
        description: 'Prints all environment variables',
        allowed: false,
        rule: 'deny tools *.printEnv',
        reason: 'Environment variables can hold secrets',
      },
    ],
    memory: [
      { name: 'create_entities', description: 'Create entities in the knowledge graph', allowed: true },
      { name: 'read_graph', description: 'Read the whole knowledge graph', allowed: true },
    ],
    github: [
      { name: 'search_code', allowed: true, rule: 'allow group engineering' },
      { name: 'create_issue', allowed: true, rule: 'allow group engineering' },
      { name: 'delete_repo', allowed: false, rule: 'deny tools github.delete_*', reason: 'Destructive' },
      { name: 'merge_pr', allowed: false, rule: 'deny role contractor', reason: 'Contractors cannot merge' },
    ],
  };
  const clients: ClientInfo[] = [
    {
      id: 'claude-desktop',
      displayName: 'Claude Desktop',
      installed: true,
      state: 'connected',
      file: '/home/alice/.config/Claude/claude_desktop_config.json',
      problems: [],
      reloadHint: 'Quit Claude Desktop completely and start it again.',
    },
    {
      id: 'cursor',
      displayName: 'Cursor',
      installed: true,
      state: 'not-connected',
      file: '/home/alice/.cursor/mcp.json',
      problems: [],
      reloadHint: 'Cursor picks the change up in Settings > MCP.',
    },
    {
      id: 'vscode',
      displayName: 'VS Code',
      installed: true,
      state: 'drifted',
      file: '/home/alice/.config/Code/User/mcp.json',
      problems: ['The Gatehouse entry was edited: its URL points to port 8080 instead of 7391.'],
    },
    {
      id: 'windsurf',
      displayName: 'Windsurf',
      installed: false,
      state: 'not-installed',
      file: '/home/alice/.codeium/windsurf/mcp_config.json',
      problems: [],
    },
  ];
  let settings: Settings = { orgUrl: 'https://gatehouse.acme.example', orgUrlManaged: false, auditRetentionDays: 30 };

  const emit = (event: GatewayEvent) => {
    for (const listener of listeners) listener(event);
  };
  const record = (method: string, input: unknown) => calls.push({ method, input });
  const status = (): Status => ({
    version: '0.1.0',
    endpoint: 'http://127.0.0.1:7391/mcp',
    port: 7391,
    mode: 'org',
    org: { name: 'Acme Corp', issuer: 'https://login.acme.example' },
    user: signedIn
      ? {
          email: 'alice@acme.example',
          name: 'Alice Example',
          groups: ['engineering', 'mcp-users'],
          roles: ['developer'],
        }
      : null,
    policy: { version: '2026-11-20.3', ageSeconds: 180, state: 'ok' },
    health: { state: 'ok' },
    paused,
  });
  const findClient = (id: string) => {
    const client = clients.find((c) => c.id === id);
    if (!client) throw new ApiError('not-found', `No AI client '${id}'.`);
    return client;
  };

  const api: InMemoryApi = {
    records,
    calls,
    listenerCount: () => listeners.size,
    emit,
    addRecord(partial) {
      const full: AuditRecord = {
        id: `r${nextId++}`,
        startedAt: new Date().toISOString(),
        method: 'tools/call',
        ...partial,
      };
      records.push(full);
      emit({ type: 'audit', record: full });
      return full;
    },
    async getStatus(input) {
      record('getStatus', input);
      return status();
    },
    async listServers() {
      return structuredClone(servers);
    },
    async setServerEnabled(input) {
      record('setServerEnabled', input);
      const server = servers.find((s) => s.name === input.name);
      if (!server) throw new ApiError('not-found', `No server '${input.name}'.`);
      if (server.lockedByPolicy)
        throw Object.assign(new Error(`${input.name} is locked by policy: ${server.lockReason}`), {
          code: 'locked-by-policy',
        });
      server.enabled = input.enabled;
      server.state = input.enabled ? 'ready' : 'disabled';
      emit({ type: 'changed', topic: 'servers' });
      return structuredClone(server);
    },
    async listTools(input) {
      if (!servers.some((s) => s.name === input.server))
        throw new ApiError('not-found', `No server '${input.server}'.`);
      return structuredClone(tools[input.server] ?? []);
    },
    async queryAudit(input = {}) {
      record('queryAudit', input);
      const filter = input.filter ?? {};
      const start = input.cursor ? Number(input.cursor) : records.length - 1;
      const limit = input.limit ?? 200;
      const page: AuditRecord[] = [];
      let index = start;
      for (; index >= 0 && page.length < limit; index--) {
        const candidate = records[index]!;
        if (matchesAuditFilter(candidate, filter)) page.push(candidate);
      }
      return { records: page, nextCursor: index >= 0 ? String(index) : null };
    },
    async getAuditMetrics() {
      const since = new Date(Date.now() - 3_600_000).toISOString();
      const stats = { calls: records.length, errors: 0, denials: 0, p50Ms: null, p95Ms: null, p99Ms: null };
      const slice = { since, total: stats, servers: [] };
      return { hour: slice, day: slice };
    },
    async listClients() {
      return structuredClone(clients);
    },
    async previewClientChange(input) {
      const client = findClient(input.client);
      const sign = input.action === 'connect' ? '+' : '-';
      const diff = [
        `--- ${client.file}`,
        `+++ ${client.file}`,
        '@@ -1,3 +1,7 @@',
        ' {',
        '   "mcpServers": {',
        `${sign}    "gatehouse": {`,
        `${sign}      "url": "http://127.0.0.1:7391/mcp",`,
        `${sign}      "headers": { "Authorization": "Bearer <token>" }`,
        `${sign}    }`,
        '   }',
        ' }',
      ].join('\n');
      return { id: client.id, dryRun: true, diff, file: client.file, changed: true };
    },
    async connectClient(input) {
      record('connectClient', input);
      const client = findClient(input.client);
      client.state = 'connected';
      client.problems = [];
      emit({ type: 'changed', topic: 'clients' });
      return {
        id: client.id,
        dryRun: false,
        diff: '',
        file: client.file,
        changed: true,
        reloadHint: `Restart ${client.displayName} to pick up Gatehouse.`,
      };
    },
    async disconnectClient(input) {
      record('disconnectClient', input);
      const client = findClient(input.client);
      client.state = 'not-connected';
      emit({ type: 'changed', topic: 'clients' });
      return { id: client.id, dryRun: false, diff: '', files: [client.file], action: 'removed' };
    },
    async login() {
      record('login', {});
      signedIn = true;
      emit({ type: 'changed', topic: 'status' });
      return { authorizationUrl: null };
    },
    async logout() {
      record('logout', {});
      signedIn = false;
      emit({ type: 'changed', topic: 'status' });
      return {};
    },
    async setPaused(input) {
      record('setPaused', input);
      paused = input.paused;
      emit({ type: 'changed', topic: 'status' });
      return status();
    },
    async getSettings() {
      return { ...settings };
    },
    async setSettings(input = {}) {
      record('setSettings', input);
      settings = {
        ...settings,
        ...(input.orgUrl !== undefined ? { orgUrl: input.orgUrl } : {}),
        ...(input.auditRetentionDays !== undefined ? { auditRetentionDays: input.auditRetentionDays } : {}),
      };
      emit({ type: 'changed', topic: 'settings' });
      return { ...settings };
    },
    async listCredentials() {
      return credentials.map((c) => ({ ...c }));
    },
    async setCredential(input) {
      record('setCredential', { server: input.server, name: input.name }); // never the value
      const found = credentials.find((c) => c.server === input.server && c.name === input.name);
      if (!found) throw new ApiError('not-found', `Server '${input.server}' has no credential ${input.name}.`);
      found.set = true;
      emit({ type: 'changed', topic: 'servers' });
      return { ...found };
    },
    async clearCredential(input) {
      record('clearCredential', input);
      const found = credentials.find((c) => c.server === input.server && c.name === input.name);
      if (!found) throw new ApiError('not-found', `Server '${input.server}' has no credential ${input.name}.`);
      found.set = false;
      emit({ type: 'changed', topic: 'servers' });
      return { ...found };
    },
    async listConnections() {
      return connections.map((c) => ({ ...c }));
    },
    async connectServer(input) {
      record('connectServer', input);
      const found = connections.find((c) => c.server === input.server);
      if (!found) throw new ApiError('not-found', `No server named '${input.server}' is configured.`);
      found.state = 'connecting';
      emit({ type: 'changed', topic: 'servers' });
      return { authorizationUrl: `https://auth.example.test/authorize?server=${input.server}` };
    },
    async disconnectServer(input) {
      record('disconnectServer', input);
      const found = connections.find((c) => c.server === input.server);
      if (found) Object.assign(found, { state: 'needs-consent', user: null, expiresAt: null, connectedAt: null });
      emit({ type: 'changed', topic: 'servers' });
      return { revoked: found !== undefined };
    },
    async startDemo() {
      throw new ApiError('unsupported', 'No demo in the in-memory API.');
    },
    async stopDemo() {
      throw new ApiError('unsupported', 'No demo in the in-memory API.');
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return api;
}

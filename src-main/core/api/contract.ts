// The one API the window (Electron preload or browser) and the CLI use to talk to the gateway core.
// Every method is defined here once, with zod schemas for its input and output; the TypeScript
// type, the HTTP routes, the IPC channels and the preload bridge are all derived from this table.
//
// Rules for the schemas, so that the type the core implements equals the type callers see:
// - no `.default()` and no `.transform()` in input schemas (z.input === z.output);
// - everything is plain JSON (ISO strings, not Dates), because it crosses HTTP and IPC unchanged.
import { z } from 'zod';

// ---- status ---------------------------------------------------------------------------------

const UserSchema = z.object({
  email: z.string(),
  name: z.string().nullable(),
  groups: z.array(z.string()),
  roles: z.array(z.string()),
});

const PolicyStatusSchema = z.object({
  /** The version the org published, null before the first successful sync. */
  version: z.string().nullable(),
  /** Seconds since the policy in force was fetched (or confirmed unchanged); null without one. */
  ageSeconds: z.number().nonnegative().nullable(),
  /** `stale`: older than the org's staleness bound; `none`: personal mode or never synced. */
  state: z.enum(['ok', 'stale', 'none']),
});

const GatewayHealthSchema = z.object({
  state: z.enum(['ok', 'degraded', 'error']),
  /** What is wrong and what to do, for `degraded` and `error`. */
  message: z.string().optional(),
});

const AuditHealthSchema = z.object({
  /** One line for the tray, e.g. "Last hour: 42 calls, 1 error, p95 120 ms". */
  summary: z.string(),
  /** Audit write errors and sink backlogs, shown before anything would be dropped; empty when all is well. */
  warnings: z.array(z.string()),
  /**
   * Each call's record is written before its answer (GATEHOUSE_AUDIT=strict, or the org policy's
   * auditRequired); otherwise right after it, in the same turn.
   */
  recordedBeforeAnswer: z.boolean(),
});

const DemoStatusSchema = z.object({
  /** The host can run the demo org (the Electron app; not `gatehouse serve`). */
  available: z.boolean(),
  /** The demo org is running in place of the user's own setup. */
  active: z.boolean(),
});

const StatusSchema = z.object({
  /** The app version, shown in the window and the tray. */
  version: z.string(),
  /** The aggregated MCP endpoint AI clients use, e.g. http://127.0.0.1:7391/mcp. */
  endpoint: z.string(),
  port: z.number().int(),
  /** `personal`: no org configured, the user's own servers only; `org`: signed into an org's IdP. */
  mode: z.enum(['personal', 'org']),
  org: z.object({ name: z.string(), issuer: z.string().optional() }).nullable(),
  /** Null when signed out (or in personal mode). */
  user: UserSchema.nullable(),
  policy: PolicyStatusSchema,
  /** The org policy added servers whose tokens the current sign-in cannot get: `login` signs in again. */
  signInNeeded: z.object({ servers: z.array(z.string()), message: z.string() }).optional(),
  health: GatewayHealthSchema,
  /** Paused: the gateway refuses tool calls until resumed (tray menu "Pause"). */
  paused: z.boolean(),
  audit: AuditHealthSchema.optional(),
  demo: DemoStatusSchema.optional(),
});

// ---- servers and tools ----------------------------------------------------------------------

const ServerStateSchema = z.enum(['connecting', 'ready', 'error', 'disabled', 'denied']);

const ServerInfoSchema = z.object({
  name: z.string(),
  transport: z.enum(['stdio', 'http', 'sse']),
  /** The user's switch; a server locked by policy cannot be switched. */
  enabled: z.boolean(),
  state: ServerStateSchema,
  lockedByPolicy: z.boolean(),
  /** Why the policy locks it (on or off), shown next to the disabled switch. */
  lockReason: z.string().optional(),
  lastError: z.string().optional(),
  /** Null until the server's tool list is known. */
  toolCount: z.number().int().nonnegative().nullable(),
});

const ToolInfoSchema = z.object({
  name: z.string(),
  description: z.string().optional(),
  allowed: z.boolean(),
  /** The policy rule that decided, e.g. `deny tools github.delete_*`. */
  rule: z.string().optional(),
  reason: z.string().optional(),
});

// ---- audit ----------------------------------------------------------------------------------

/**
 * The fields the window reads from an audit record (the audit module's versioned record,
 * src-main/core/audit/record.ts). Loose on purpose: every other field passes through to the detail
 * pane, and the audit module stays the one owner of the record's schema.
 */
const AuditRecordSchema = z.looseObject({
  /** ULID: unique and sorted by time. */
  id: z.string(),
  /** ISO 8601 time the request reached the gateway. */
  startedAt: z.string(),
  endedAt: z.string().optional(),
  server: z.string(),
  /** JSON-RPC method: tools/call, resources/read, prompts/get, … */
  method: z.string(),
  /** Tool name, resource URI or prompt name. */
  name: z.string().optional(),
  /** The AI client: its clientInfo and which local token it presented. */
  client: z
    .looseObject({ name: z.string().optional(), version: z.string().optional(), localTokenId: z.string().optional() })
    .optional(),
  user: z
    .looseObject({ sub: z.string(), email: z.string().optional(), groups: z.array(z.string()).optional() })
    .optional(),
  /** ok, tool_error, denied, upstream_error, timeout or cancelled; others are shown as they are. */
  outcome: z.string(),
  denyRule: z.string().optional(),
  error: z.string().optional(),
  latency: z
    .looseObject({ totalMs: z.number().nonnegative(), upstreamMs: z.number().nonnegative().optional() })
    .optional(),
  /** As recorded at the record's redaction level (for tools/call: `{name, arguments, _meta}`). */
  params: z.unknown().optional(),
  result: z.unknown().optional(),
  redaction: z.string().optional(),
  policyVersion: z.string().optional(),
});

/**
 * Exact matches on server, tool (the record's `name`), method, outcome and client (its clientInfo
 * name or local token id); `text` is a case-insensitive substring of the record's JSON. The same
 * meaning as the audit module's own query, so history and live records agree.
 */
const AuditFilterSchema = z.object({
  server: z.string().optional(),
  tool: z.string().optional(),
  method: z.string().optional(),
  outcome: z.string().optional(),
  client: z.string().optional(),
  text: z.string().max(500).optional(),
});

const AuditQuerySchema = z.object({
  filter: AuditFilterSchema.optional(),
  /** The `nextCursor` of the previous page; absent for the newest page. */
  cursor: z.string().optional(),
  /** Page size; the core picks its default (about 200) when absent. */
  limit: z.number().int().min(1).max(1000).optional(),
});

const AuditStatsSchema = z.object({
  calls: z.number().int().nonnegative(),
  /** tool_error, upstream_error and timeout. */
  errors: z.number().int().nonnegative(),
  denials: z.number().int().nonnegative(),
  /** Latency percentiles (ms) of calls that reached the server; null without any. */
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
});

const AuditMetricsWindowSchema = z.object({
  /** ISO time the window starts at. */
  since: z.string(),
  total: AuditStatsSchema,
  servers: z.array(
    z.object({
      server: z.string(),
      stats: AuditStatsSchema,
      tools: z.array(z.object({ name: z.string(), stats: AuditStatsSchema })),
    }),
  ),
});

const AuditMetricsSchema = z.object({ hour: AuditMetricsWindowSchema, day: AuditMetricsWindowSchema });

const AuditPageSchema = z.object({
  /** Newest first. */
  records: z.array(AuditRecordSchema),
  /** Null on the last page. */
  nextCursor: z.string().nullable(),
});

// ---- AI clients -----------------------------------------------------------------------------

const ClientIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, 'a client id like "cursor" or "claude-desktop"');

const ClientStateSchema = z.enum(['not-installed', 'not-connected', 'connected', 'drifted']);

/**
 * An AI client as the clients module reports it (ClientStatus in src-main/core/clients). Loose for
 * the same reason as audit records: that module owns the full description.
 */
const ClientInfoSchema = z.looseObject({
  id: z.string(),
  displayName: z.string(),
  installed: z.boolean(),
  /** `drifted`: our entry is in the file but no longer what we wrote (edited by hand or by the client). */
  state: ClientStateSchema,
  /** The config file Gatehouse writes for this client. */
  file: z.string(),
  /** Why the state is `drifted`, or what stops Gatehouse reading the file; empty otherwise. */
  problems: z.array(z.string()),
  /** How the client picks up a change, e.g. "Restart Claude Desktop". */
  reloadHint: z.string().optional(),
  connectedAt: z.string().optional(),
});

const ClientActionSchema = z.enum(['connect', 'disconnect']);

/**
 * What connecting or disconnecting did, or would do with `dryRun` (the preview): the clients
 * module's ConnectResult (`file`, `changed`, `warnings`, `backup`) or DisconnectResult (`files`,
 * `action`). Tokens appear in the diff as `<token>`.
 */
const ClientChangeSchema = z.looseObject({
  id: z.string(),
  dryRun: z.boolean(),
  /** A unified diff of the config file; empty when nothing changes. */
  diff: z.string(),
  file: z.string().optional(),
  files: z.array(z.string()).optional(),
  changed: z.boolean().optional(),
  action: z.enum(['restored', 'removed', 'nothing-to-do']).optional(),
  warnings: z.array(z.string()).optional(),
  reloadHint: z.string().optional(),
  backup: z.string().optional(),
});

// ---- upstream credentials -------------------------------------------------------------------

/** A secret a server needs (API key, header, environment variable) and whether it is there; never its value. */
const CredentialInfoSchema = z.object({
  server: z.string(),
  /** `header`: sent to a remote server on every request; `env`: given to a stdio server when it starts. */
  target: z.enum(['header', 'env']),
  /** The header or environment variable name. */
  name: z.string(),
  /** `org`: provided by the organisation (read-only here); `user`: entered by the user in this window. */
  source: z.enum(['org', 'user']),
  label: z.string(),
  set: z.boolean(),
});

const CredentialRefSchema = z.object({ server: z.string().min(1), name: z.string().min(1).max(100) });

// ---- connections (per-user OAuth to remote servers) -----------------------------------------

/** A remote server the user signs in to (OAuth), as the Connections view shows it; never a token. */
const ConnectionInfoSchema = z.object({
  server: z.string(),
  /** `needs-consent`: calls answer "open Gatehouse to connect"; `connecting`: the browser step is open. */
  state: z.enum(['connected', 'needs-consent', 'connecting', 'error']),
  /** Who the user is at that server (email or subject from its tokens); null when it does not say. */
  user: z.string().nullable(),
  authorizationServer: z.string().nullable(),
  /** ISO times; null when unknown or not connected. */
  expiresAt: z.string().nullable(),
  connectedAt: z.string().nullable(),
  lastRefreshAt: z.string().nullable(),
  error: z.string().optional(),
});

const ServerRefSchema = z.object({ server: z.string().min(1) });

// ---- account and settings -------------------------------------------------------------------

const LoginResultSchema = z.object({
  /**
   * The IdP page the core opened in the browser; the window shows it as a link in case no
   * browser opened. Null when already signed in (and no new sign-in is needed). Completion arrives
   * as a `changed: status` event.
   */
  authorizationUrl: z.string().nullable(),
});

const SettingsSchema = z.looseObject({
  /** Where the app finds the org (policy and IdP discovery); null in personal mode. */
  orgUrl: z.string().nullable(),
  /** Set by a managed (MDM) config file; the window then shows orgUrl read-only. */
  orgUrlManaged: z.boolean(),
  /** How long the local audit log keeps records. */
  auditRetentionDays: z.number().int().min(1).max(3650),
  /** Set by the org policy (`auditRetentionDays`); the window then shows it read-only. */
  auditRetentionManaged: z.boolean().optional(),
});

/** https, or http to this machine only (a local policy server in demos and tests). */
const OrgUrlSchema = z
  .url({ protocol: /^https?$/, error: 'a URL such as https://gatehouse.example.com' })
  .refine((url) => url.startsWith('https:') || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(url), {
    error: 'an https:// URL (plain http is allowed only for this machine)',
  });

const SettingsChangeSchema = z.object({
  orgUrl: OrgUrlSchema.nullable().optional(),
  auditRetentionDays: z.number().int().min(1).max(3650).optional(),
});

const Empty = z.object({});

// ---- the method table -----------------------------------------------------------------------

type MethodSpec = { input: z.ZodType; output: z.ZodType; summary: string };

/** Every request/response method; adding a method here adds its HTTP route, IPC channel and bridge. */
export const gatewayMethods = {
  getStatus: { input: Empty, output: StatusSchema, summary: 'Endpoint, mode, user, policy and health' },
  listServers: { input: Empty, output: z.array(ServerInfoSchema), summary: 'Servers and their state' },
  setServerEnabled: {
    input: z.object({ name: z.string().min(1), enabled: z.boolean() }),
    output: ServerInfoSchema,
    summary: 'Switch a server on or off (refused when locked by policy)',
  },
  listTools: {
    input: z.object({ server: z.string().min(1) }),
    output: z.array(ToolInfoSchema),
    summary: "A server's tools and whether policy allows each",
  },
  queryAudit: { input: AuditQuerySchema, output: AuditPageSchema, summary: 'Audit records, newest first' },
  getAuditMetrics: {
    input: Empty,
    output: AuditMetricsSchema,
    summary: 'Calls, errors, denials and latency per server and tool, last hour and day',
  },
  listClients: { input: Empty, output: z.array(ClientInfoSchema), summary: 'Detected AI clients' },
  previewClientChange: {
    input: z.object({ client: ClientIdSchema, action: ClientActionSchema }),
    output: ClientChangeSchema,
    summary: 'The diff connecting or disconnecting a client would write (a dry run)',
  },
  connectClient: {
    input: z.object({ client: ClientIdSchema }),
    output: ClientChangeSchema,
    summary: "Write Gatehouse into a client's config",
  },
  disconnectClient: {
    input: z.object({ client: ClientIdSchema }),
    output: ClientChangeSchema,
    summary: "Remove Gatehouse from a client's config",
  },
  login: { input: Empty, output: LoginResultSchema, summary: "Start signing in with the org's IdP" },
  logout: { input: Empty, output: Empty, summary: 'Sign out and forget the tokens' },
  setPaused: { input: z.object({ paused: z.boolean() }), output: StatusSchema, summary: 'Pause or resume tool calls' },
  getSettings: { input: Empty, output: SettingsSchema, summary: 'Gateway settings' },
  setSettings: { input: SettingsChangeSchema, output: SettingsSchema, summary: 'Change gateway settings' },
  listCredentials: {
    input: Empty,
    output: z.array(CredentialInfoSchema),
    summary: 'Which servers need which credentials, set or missing (never the values)',
  },
  setCredential: {
    input: CredentialRefSchema.extend({ value: z.string().min(1).max(16_384) }),
    output: CredentialInfoSchema,
    summary: 'Store a credential the user enters for a server (only in the secret store)',
  },
  clearCredential: {
    input: CredentialRefSchema,
    output: CredentialInfoSchema,
    summary: 'Delete a credential the user entered',
  },
  startDemo: { input: Empty, output: Empty, summary: 'Run the demo org in place of your own setup (app only)' },
  stopDemo: { input: Empty, output: Empty, summary: 'Leave the demo org and go back to your own setup' },
  listConnections: {
    input: Empty,
    output: z.array(ConnectionInfoSchema),
    summary: 'Remote servers that need a sign-in: connected as whom, token expiry, errors',
  },
  connectServer: {
    input: ServerRefSchema,
    output: z.object({ authorizationUrl: z.string() }),
    summary: 'Start connecting a remote server in the browser (the page is returned as a link too)',
  },
  disconnectServer: {
    input: ServerRefSchema,
    output: z.object({ revoked: z.boolean() }),
    summary: "Revoke and delete the user's tokens for a remote server",
  },
} as const satisfies Record<string, MethodSpec>;

export type GatewayMethods = typeof gatewayMethods;
export type ApiMethod = keyof GatewayMethods;
export type MethodInput<M extends ApiMethod> = z.input<GatewayMethods[M]['input']>;
export type MethodOutput<M extends ApiMethod> = z.output<GatewayMethods[M]['output']>;

export const apiMethodNames = Object.keys(gatewayMethods) as ApiMethod[];

export function isApiMethod(name: string): name is ApiMethod {
  return Object.hasOwn(gatewayMethods, name);
}

// ---- live events ----------------------------------------------------------------------------

const ChangeTopicSchema = z.enum(['status', 'servers', 'tools', 'clients', 'settings']);

/**
 * What `subscribe` delivers. `audit`: a new record; `changed`: refetch that topic (the event
 * carries no data so there is one source of truth, the methods above); `stream`: produced by the
 * client-side transports only (never by the core) when the live connection drops or comes back,
 * so the window can say so and refetch what it may have missed.
 */
export const GatewayEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('audit'), record: AuditRecordSchema }),
  z.object({ type: z.literal('changed'), topic: ChangeTopicSchema }),
  z.object({ type: z.literal('stream'), state: z.enum(['open', 'reconnecting']) }),
]);

export type GatewayEvent = z.infer<typeof GatewayEventSchema>;
export type GatewayEventListener = (event: GatewayEvent) => void;

// ---- the derived API type -------------------------------------------------------------------

type MethodFunction<M extends ApiMethod> =
  // Methods whose input is all-optional can be called without an argument.
  Record<never, never> extends MethodInput<M>
    ? (input?: MethodInput<M>) => Promise<MethodOutput<M>>
    : (input: MethodInput<M>) => Promise<MethodOutput<M>>;

/** What the core implements and what the window and the CLI call. */
export type GatewayApi = { [M in ApiMethod]: MethodFunction<M> } & {
  /** Live events; returns the function that stops them. */
  subscribe(listener: GatewayEventListener): () => void;
};

export type Status = z.infer<typeof StatusSchema>;
export type User = z.infer<typeof UserSchema>;
export type ServerInfo = z.infer<typeof ServerInfoSchema>;
export type ServerState = z.infer<typeof ServerStateSchema>;
export type ToolInfo = z.infer<typeof ToolInfoSchema>;
export type AuditRecord = z.infer<typeof AuditRecordSchema>;
export type AuditFilter = z.infer<typeof AuditFilterSchema>;
export type AuditQuery = z.infer<typeof AuditQuerySchema>;
export type AuditPage = z.infer<typeof AuditPageSchema>;
export type AuditMetrics = z.infer<typeof AuditMetricsSchema>;
export type AuditStats = z.infer<typeof AuditStatsSchema>;
export type ClientInfo = z.infer<typeof ClientInfoSchema>;
export type ClientState = z.infer<typeof ClientStateSchema>;
export type ClientAction = z.infer<typeof ClientActionSchema>;
export type ClientChange = z.infer<typeof ClientChangeSchema>;
export type Settings = z.infer<typeof SettingsSchema>;
export type SettingsChange = z.infer<typeof SettingsChangeSchema>;
export type ChangeTopic = z.infer<typeof ChangeTopicSchema>;
export type ConnectionInfo = z.infer<typeof ConnectionInfoSchema>;
export type CredentialInfo = z.infer<typeof CredentialInfoSchema>;

import {
  ApiError,
  type ChangeTopic,
  type GatewayApi,
  type GatewayEventListener,
  type ServerInfo,
  type Status,
} from '../api/index.ts';
import { auditSummaryLine, auditWarnings, type AuditLog, type AuditOutbox, type AuditOutcome } from '../audit/index.ts';
import type { ClientConnections } from '../clients/index.ts';
import { forgetOrgUrl, listServerAccess, saveOrgUrl } from '../policy/index.ts';
import type { UpstreamEntry } from '../upstream/index.ts';
import type { UpstreamAuthError, UpstreamOAuth } from '../upstream-auth/index.ts';
import { retentionDaysFor } from './audit-bridge.ts';
import type { DemoHooks, Gateway } from './create-gateway.ts';
import { credentialsApi } from './credentials-api.ts';
import type { GatewaySettings } from './settings.ts';
import { GATEHOUSE_VERSION } from './version.ts';

export type ApiServiceDeps = {
  gateway: Gateway;
  audit: AuditLog;
  clients: ClientConnections;
  settings: GatewaySettings;
  /** The IdP page the last sign-in opened, resolved when the org mode opens it. */
  nextAuthorizationUrl: () => Promise<string>;
  /** Managed (MDM) org config: the window shows the org URL read-only. */
  orgUrlManaged: boolean;
  orgUrl: string | null;
  dataDir: string;
  onChange(listener: (topic: ChangeTopic) => void): () => void;
  paused: { value: boolean };
  /** The outboxes shipping to the org's audit sinks (none in personal mode). */
  outboxes: () => readonly AuditOutbox[];
  /** The host's way to run the demo org instead (the Electron app); absent elsewhere. */
  demo?: DemoHooks;
};

/**
 * The window's and the CLI's API (src-main/core/api/contract.ts) over the running gateway. It
 * only reads state and calls the gateway's own operations; it decides nothing itself.
 */
export function createApiService(deps: ApiServiceDeps): GatewayApi {
  const { gateway, audit, clients } = deps;

  function status(): Status {
    const org = gateway.org?.status();
    // Servers waiting for the user to sign in again have their own notice (signInNeeded), not this one.
    const waiting = new Set(org?.signInNeeded?.servers);
    const errors = gateway.pool
      .enabledEntries()
      .filter((e) => e.connection.state === 'error' && !waiting.has(e.config.name));
    const policy = org?.policy;
    return {
      version: GATEHOUSE_VERSION,
      endpoint: gateway.endpoint,
      port: gateway.port,
      mode: gateway.org ? 'org' : 'personal',
      org: org ? { name: org.orgName ?? new URL(org.issuer).host, issuer: org.issuer } : null,
      user: org?.user
        ? {
            email: org.user.email ?? org.user.sub,
            name: org.user.name ?? null,
            groups: org.user.groups,
            roles: org.user.roles,
          }
        : null,
      policy: {
        version: policy?.version ?? null,
        ageSeconds: policy?.ageSeconds ?? null,
        state: !policy || policy.state === 'none' ? 'none' : policy.state === 'stale' ? 'stale' : 'ok',
      },
      ...(org?.signInNeeded && {
        signInNeeded: { servers: org.signInNeeded.servers, message: org.signInNeeded.reason },
      }),
      health:
        errors.length === 0
          ? { state: 'ok' }
          : {
              state: 'degraded',
              message: `${errors.map((e) => e.config.name).join(', ')} failed: ${errors[0]!.connection.lastError ?? 'unknown error'}`,
            },
      paused: deps.paused.value,
      audit: {
        summary: auditSummaryLine(audit.metrics()),
        warnings: auditWarnings(
          audit.status(),
          deps.outboxes().map((outbox) => outbox.status()),
        ),
        recordedBeforeAnswer: gateway.router.recordBeforeAnswer(),
      },
      demo: { available: deps.demo !== undefined, active: deps.demo?.active ?? false },
    };
  }

  function settings() {
    const policyDays = gateway.org?.currentPolicy()?.auditRetentionDays;
    return {
      orgUrl: deps.orgUrl,
      orgUrlManaged: deps.orgUrlManaged,
      auditRetentionDays: retentionDaysFor(gateway.org?.currentPolicy(), deps.settings.get().auditRetentionDays),
      auditRetentionManaged: policyDays !== undefined,
    };
  }

  function serverInfo(entry: UpstreamEntry): ServerInfo {
    const name = entry.config.name;
    const access = gateway.router.access.server(name, { sessionId: '', localClientId: 'window' });
    const lock = lockOf(name);
    const state: ServerInfo['state'] = !entry.enabled
      ? access.allow || lock.toggleable
        ? 'disabled'
        : 'denied'
      : entry.connection.state === 'ready'
        ? 'ready'
        : entry.connection.state === 'error'
          ? 'error'
          : 'connecting';
    return {
      name,
      transport: entry.config.transport,
      enabled: entry.enabled,
      state,
      lockedByPolicy: !lock.toggleable,
      ...(lock.reason && { lockReason: lock.reason }),
      ...(entry.connection.lastError &&
        entry.connection.state === 'error' && { lastError: entry.connection.lastError }),
      // A server waiting for the user's sign-in lists only a placeholder: its tools are not known.
      toolCount: entry.lists && !entry.lists.placeholder ? entry.lists.tools.length : null,
    };
  }

  /** Whether the user may switch a server, and why not. */
  function lockOf(name: string): { toggleable: boolean; reason?: string } {
    const org = gateway.org;
    const status = org?.status();
    const policy = org?.currentPolicy();
    if (!org || !policy || !status?.user) return { toggleable: true };
    const access = listServerAccess({ policy, claims: status.user.claims, toggles: {} }).find((a) => a.id === name);
    if (!access) return { toggleable: true }; // a personal server
    if (!access.allowed) return { toggleable: false, reason: access.decision.reason };
    if (access.mode === 'locked-on') return { toggleable: false, reason: 'Your organisation keeps this server on.' };
    return { toggleable: true };
  }

  function connections(): UpstreamOAuth {
    if (!gateway.upstreamAuth)
      throw new ApiError('unsupported', 'This Gatehouse has no secret store, so it cannot sign in to remote servers.');
    return gateway.upstreamAuth;
  }

  function entryOrThrow(name: string): UpstreamEntry {
    const entry = gateway.pool.get(name);
    if (!entry) throw new ApiError('not-found', `No server named '${name}' is configured.`);
    return entry;
  }

  return {
    async getStatus() {
      return status();
    },
    async listServers() {
      return gateway.pool.all().map(serverInfo);
    },
    async setServerEnabled({ name, enabled }) {
      entryOrThrow(name);
      try {
        await gateway.setServerEnabled(name, enabled);
      } catch (error) {
        throw new ApiError('locked-by-policy', (error as Error).message, { cause: error });
      }
      return serverInfo(entryOrThrow(name));
    },
    async listTools({ server }) {
      const entry = entryOrThrow(server);
      const who = { sessionId: '', localClientId: 'window' };
      return (entry.lists?.tools ?? []).map((tool) => {
        const name = String(tool.name);
        const decision = gateway.router.access.item(server, 'tool', name, who);
        return {
          name,
          ...(typeof tool.description === 'string' && { description: tool.description }),
          allowed: decision.allow,
          ...(!decision.allow && { reason: decision.reason, ...(decision.rule && { rule: decision.rule }) }),
        };
      });
    },
    async queryAudit({ filter = {}, cursor, limit } = {}) {
      const page = await audit.query({
        ...(filter.server && { server: filter.server }),
        ...(filter.tool && { tool: filter.tool }),
        ...(filter.method && { method: filter.method }),
        ...(filter.outcome && { outcome: filter.outcome as AuditOutcome }),
        ...(filter.client && { client: filter.client }),
        ...(filter.text && { text: filter.text }),
        ...(cursor && { cursor }),
        limit: limit ?? 200,
      });
      return { records: page.records, nextCursor: page.nextCursor };
    },
    async getAuditMetrics() {
      return audit.metrics();
    },
    async listClients() {
      return clients.list();
    },
    async previewClientChange({ client, action }) {
      return action === 'connect'
        ? clients.connect(client, { dryRun: true })
        : clients.disconnect(client, { dryRun: true });
    },
    async connectClient({ client }) {
      return clients.connect(client);
    },
    async disconnectClient({ client }) {
      return clients.disconnect(client);
    },
    async login() {
      const org = gateway.org;
      if (!org)
        throw new ApiError('no-org', 'Gatehouse is in personal mode: set your organisation URL in Settings first.');
      // Signed in already, unless the policy added servers the sign-in has no tokens for.
      const { user, signInNeeded } = org.status();
      if (user && !signInNeeded) return { authorizationUrl: null };
      const url = deps.nextAuthorizationUrl();
      org.login().catch(() => {
        // The window learns the outcome from the status change (or its absence); the error is in the log.
      });
      return { authorizationUrl: await url };
    },
    async logout() {
      await gateway.org?.logout();
      // The user's tokens for remote servers go with the org sign-in (revoked where the server allows).
      if (gateway.org) await gateway.upstreamAuth?.forgetAll();
      return {};
    },
    async listConnections() {
      return (await gateway.upstreamAuth?.list()) ?? [];
    },
    async connectServer({ server }) {
      return connections().connect(server).catch(toApiError);
    },
    async disconnectServer({ server }) {
      return connections().disconnect(server);
    },
    async setPaused({ paused }) {
      deps.paused.value = paused;
      gateway.router.onServerChanged(undefined, 'lists');
      return status();
    },
    async getSettings() {
      return settings();
    },
    async setSettings(change = {}) {
      if (change.orgUrl !== undefined) {
        if (deps.orgUrlManaged)
          throw new ApiError('managed', 'Your IT department manages the organisation URL on this machine.');
        if (change.orgUrl === null) await forgetOrgUrl(deps.dataDir);
        else await saveOrgUrl({ dataDir: deps.dataDir, orgUrl: change.orgUrl });
        deps.orgUrl = change.orgUrl;
      }
      if (change.auditRetentionDays !== undefined) {
        if (settings().auditRetentionManaged)
          throw new ApiError(
            'managed',
            `Your organisation's policy keeps audit records for ${settings().auditRetentionDays} days; it cannot be changed here.`,
          );
        await deps.settings.set({ auditRetentionDays: change.auditRetentionDays });
        await audit.setRetention({ maxAgeMs: change.auditRetentionDays * 86_400_000 });
      }
      return settings();
    },
    ...credentialsApi(gateway),
    async startDemo() {
      if (!deps.demo)
        throw new ApiError(
          'unsupported',
          'The demo org runs from the Gatehouse app; here, use `gatehouse serve --demo`.',
        );
      await deps.demo.start();
      return {};
    },
    async stopDemo() {
      if (!deps.demo) throw new ApiError('unsupported', 'The demo org runs from the Gatehouse app only.');
      await deps.demo.stop();
      return {};
    },
    subscribe(listener: GatewayEventListener) {
      const stopAudit = audit.subscribe((record) => listener({ type: 'audit', record }));
      const stopChanges = deps.onChange((topic) => listener({ type: 'changed', topic }));
      return () => {
        stopAudit();
        stopChanges();
      };
    },
  };
}

/** Connection failures the user can act on keep their message; the code says which kind. */
function toApiError(error: unknown): never {
  // By name, not instanceof: upstream-auth is loaded only when the gateway has a secret store.
  if (error instanceof Error && error.name === 'UpstreamAuthError') {
    const code = (error as UpstreamAuthError).code;
    throw new ApiError(code === 'unknown_server' ? 'not-found' : 'upstream-auth', error.message, { cause: error });
  }
  throw error;
}

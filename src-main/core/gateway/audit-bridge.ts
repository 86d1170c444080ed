import {
  auditWarnings,
  AuditSinkError,
  createHttpsBatchSink,
  createOtlpLogSink,
  createOutbox,
  type AuditLog,
  type AuditOutbox,
  type AuditOutcome,
  type AuditRecordInput,
  type AuditSink,
  type RedactionConfig,
  type RedactionLevel,
} from '../audit/index.ts';
import { jsonRpcByteLength } from '../jsonrpc/raw-json.ts';
import type { OrgMode } from '../org/index.ts';
import { auditSinksOf, type AuditSinkConfig, type OrgConfig, type PolicyDocument } from '../policy/index.ts';
import type { RequestDone } from '../router/index.ts';
import type { SecretStore } from '../secrets/index.ts';

/**
 * Turns what the router reports into audit records. Reported before the answer (strict audit, an
 * org's auditRequired), the record is in the file when `append` returns (one write(2) into the page
 * cache; fsync stays on its timer), so a call whose answer the client saw has its record even if
 * the gateway is killed right after. Reported after it (default), the record waits for a moment the
 * gateway is idle (AuditLog.appendSoon): at most one answered call is unrecorded at any time
 * (test/audit-gateway/crash.test.ts).
 */
export function auditRequests(
  audit: AuditLog,
  org: OrgMode | undefined,
): (done: RequestDone, beforeAnswer: boolean) => void {
  return (done, beforeAnswer) => {
    // Who and under which policy, as of the answer; the rest (the result's summary: a large one is
    // parsed for it) can wait for a moment the gateway is idle, unless the answer waits for it.
    const who = { user: org?.currentUser(), policyVersion: org?.currentPolicy()?.policyVersion };
    try {
      if (beforeAnswer) audit.append(toRecord(done, who));
      else audit.appendSoon(() => toRecord(done, who));
    } catch {
      // A full disk or closed log must not break the gateway; the log reports its own state.
    }
  };
}

type Who = { user: ReturnType<OrgMode['currentUser']> | undefined; policyVersion: string | undefined };

function toRecord(done: RequestDone, { user, policyVersion }: Who): AuditRecordInput {
  const response = done.response;
  const result = response && 'result' in response ? response.result : undefined;
  const error = done.error ?? done.denyReason;
  const client = done.session.clientInfo;
  return {
    startedAt: done.startedAt,
    endedAt: done.startedAt + done.totalMs,
    ...(user && { user: { sub: user.sub, ...(user.email && { email: user.email }), groups: user.groups } }),
    client: {
      ...(client && { name: client.name, version: client.version }),
      localTokenId: done.session.who.localClientId,
    },
    sessionId: done.session.id,
    server: done.server,
    method: done.method,
    ...(done.name !== undefined && { name: done.name }),
    params: done.params,
    ...(result !== undefined && { result }),
    outcome: outcomeOf(done, result),
    ...(done.outcome === 'denied' && done.denyRule && { denyRule: done.denyRule }),
    ...(error !== undefined && { error }),
    totalMs: done.totalMs,
    upstreamMs: done.upstreamMs,
    bytesIn: byteLength(done.params),
    // A passed-through response's size comes from the text it goes out as, not a second JSON.stringify.
    bytesOut: jsonRpcByteLength(response),
    ...(policyVersion && { policyVersion }),
  };
}

/** Size on the wire (as JSON). */
function byteLength(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value));
}

function outcomeOf(done: RequestDone, result: Record<string, unknown> | undefined): AuditOutcome {
  switch (done.outcome) {
    case 'ok':
      return result?.isError === true ? 'tool_error' : 'ok';
    case 'error':
    case 'upstream_error':
      return 'upstream_error';
    default:
      return done.outcome;
  }
}

const POLICY_LEVEL: Record<string, RedactionLevel> = { metadata: 'none', arguments: 'redacted', full: 'full' };

/**
 * The org policy's audit levels in the audit log's terms. Personal mode records parameters and
 * results with secrets masked, which is what the live log needs to be useful on one's own laptop.
 */
export function redactionFromPolicy(policy: PolicyDocument | undefined): RedactionConfig {
  if (!policy) return { level: 'redacted' };
  const servers: NonNullable<RedactionConfig['servers']> = {};
  for (const [name, server] of Object.entries(policy.servers)) {
    const tools = Object.entries(server.auditTools ?? {}).map(([tool, level]) => [tool, POLICY_LEVEL[level] ?? 'none']);
    if (!server.auditLevel && tools.length === 0) continue;
    servers[name] = {
      ...(server.auditLevel && { level: POLICY_LEVEL[server.auditLevel] ?? 'none' }),
      ...(tools.length > 0 && { tools: Object.fromEntries(tools) as Record<string, RedactionLevel> }),
    };
  }
  return { level: POLICY_LEVEL[policy.auditLevel ?? 'metadata'] ?? 'none', servers };
}

/** Days the log keeps records: the org policy's `auditRetentionDays` when it sets one, else the user's setting. */
export function retentionDaysFor(policy: PolicyDocument | undefined, userDays: number): number {
  return policy?.auditRetentionDays ?? userDays;
}

export type OrgAuditShippingDeps = {
  audit: AuditLog;
  org: OrgMode;
  config: OrgConfig;
  secretStore: SecretStore;
  fetch?: typeof fetch;
  log?: (line: string) => void;
};

/**
 * One outbox per sink the org config names (HTTPS batches, OTLP/HTTP logs, or both): records ship
 * from the durable log at least once, with ids for dedup; while signed out or offline they wait on
 * disk. A sink that cannot start is logged and skipped; the others still ship.
 */
export async function startOrgAuditShipping(deps: OrgAuditShippingDeps): Promise<AuditOutbox[]> {
  const outboxes: AuditOutbox[] = [];
  for (const config of auditSinksOf(deps.config)) {
    try {
      outboxes.push(await createOutbox({ log: deps.audit, sink: sinkFor(config, deps) }));
    } catch (error) {
      deps.log?.(`audit sink ${config.url} disabled: ${(error as Error).message}`);
    }
  }
  return outboxes;
}

function sinkFor(config: AuditSinkConfig, deps: OrgAuditShippingDeps): AuditSink {
  if (config.type === 'https') {
    const resource = deps.config.policyResource;
    return createHttpsBatchSink({
      url: config.url,
      // The user's token, as for the policy endpoint (audience policyResource): the receiver knows who sent what.
      token: async () =>
        deps.org.currentUser() ? deps.org.auth.getAccessToken(resource ? { resource } : undefined) : undefined,
      ...(deps.fetch && { fetch: deps.fetch }),
    });
  }
  return createOtlpLogSink({
    url: config.url,
    ...(config.headers && { headers: () => otlpHeaders(config.headers!, deps) }),
    ...(config.resourceAttributes && { resourceAttributes: config.resourceAttributes }),
  });
}

/** Read at every export, so a secret the org rotates applies without a restart. */
async function otlpHeaders(
  headers: NonNullable<Extract<AuditSinkConfig, { type: 'otlp' }>['headers']>,
  deps: OrgAuditShippingDeps,
): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const header of headers) {
    if (header.value !== undefined) {
      result[header.header] = header.value;
      continue;
    }
    const secret = await deps.secretStore.get(`org-secret:${header.secretRef}`);
    if (secret === undefined) {
      throw new AuditSinkError(
        `The org secret '${header.secretRef}' for the OTLP collector's ${header.header} header is not on this laptop; records wait until it is. Ask your IT team.`,
      );
    }
    deps.audit.registerSecret(secret);
    result[header.header] = `${header.prefix ?? ''}${secret}`;
  }
  return result;
}

/**
 * Calls `changed` when the audit warnings the window and the tray show change (a write error, a
 * backlog nearing the limit, records lost): not on every delivered batch, which would make a
 * status event of every call.
 */
export function watchAuditWarnings(audit: AuditLog, outboxes: readonly AuditOutbox[], changed: () => void): void {
  let last = '';
  const check = () => {
    const now = auditWarnings(
      audit.status(),
      outboxes.map((outbox) => outbox.status()),
    ).join('\n');
    if (now === last) return;
    last = now;
    changed();
  };
  audit.onStatus(check);
  for (const outbox of outboxes) outbox.onStatus(check);
}

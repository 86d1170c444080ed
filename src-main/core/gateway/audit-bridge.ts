import type { AuditLog, AuditOutcome, AuditRecordInput, RedactionConfig, RedactionLevel } from '../audit/index.ts';
import { jsonRpcByteLength } from '../jsonrpc/raw-json.ts';
import type { OrgMode } from '../org/index.ts';
import type { PolicyDocument } from '../policy/index.ts';
import type { RequestDone } from '../router/index.ts';

/**
 * Turns what the router reports into audit records. The router reports once the response went
 * out, so the append (redact, hash, enqueue; no I/O) never adds to that call's latency. It runs in
 * the same turn, not a later one, and the log hands the line to the OS right after: a call whose
 * answer the client saw has its record in the file even if the gateway is killed a moment later
 * (test/audit-gateway/crash.test.ts).
 */
export function auditRequests(audit: AuditLog, org: OrgMode | undefined): (done: RequestDone) => void {
  return (done) => {
    try {
      audit.append(toRecord(done, org));
    } catch {
      // A full disk or closed log must not break the gateway; the log reports its own state.
    }
  };
}

function toRecord(done: RequestDone, org: OrgMode | undefined): AuditRecordInput {
  const response = done.response;
  const result = response && 'result' in response ? response.result : undefined;
  const error = done.error ?? done.denyReason;
  const user = org?.currentUser();
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
    ...(org?.status().policy?.version && { policyVersion: org.status().policy!.version! }),
  };
}

/** Size on the wire (as JSON); measured here, after the response, not on the request path. */
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
    if (server.auditLevel) servers[name] = { level: POLICY_LEVEL[server.auditLevel] ?? 'none' };
  }
  return { level: POLICY_LEVEL[policy.auditLevel ?? 'metadata'] ?? 'none', servers };
}

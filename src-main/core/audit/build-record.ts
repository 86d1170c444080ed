import type { AuditContentItem, AuditRecord, AuditRecordInput, AuditResultSummary, RedactionLevel } from './record.ts';
import { AUDIT_SCHEMA_VERSION } from './record.ts';
import type { RedactionRules } from './redaction.ts';
import { maskAndTruncate, maskText, redactValue, truncate } from './redaction.ts';

/** A record before its hash is known: everything except `hash`. */
export type UnhashedRecord = Omit<AuditRecord, 'hash'>;

/**
 * Turns what the router saw into the stored form, at the redaction level that applies. Members
 * are inserted in sorted key order at every level, so the result already is canonical JSON.
 */
export function buildRecord(
  input: AuditRecordInput,
  id: string,
  endedAtFallback: number,
  level: RedactionLevel,
  rules: RedactionRules,
  prevHash: string,
): UnhashedRecord {
  const startedMs = toMs(input.startedAt);
  const endedMs = input.endedAt === undefined ? Math.max(endedAtFallback, startedMs) : toMs(input.endedAt);
  const totalMs = nonNegative(input.totalMs ?? endedMs - startedMs);
  const params = input.params === undefined ? undefined : redactValue(input.params, level, rules);
  const result = summarizeResult(input.result, level, rules);
  // Members assigned in sorted key order (bytesIn ... user): canonical as built, no sorting copy.
  const record: Record<string, unknown> = {
    bytesIn: Math.round(nonNegative(input.bytesIn ?? 0)),
    bytesOut: Math.round(nonNegative(input.bytesOut ?? 0)),
    client: plainClient(input.client),
  };
  if (input.denyRule !== undefined) record.denyRule = String(input.denyRule);
  record.endedAt = new Date(endedMs).toISOString();
  if (input.error !== undefined) {
    // Upstream error messages often quote the arguments; below full they get the same masking.
    const message = level === 'full' ? String(input.error) : maskText(String(input.error), rules);
    record.error = truncate(message, rules.maxTextChars).text;
  }
  record.id = id;
  record.latency =
    input.upstreamMs === undefined ? { totalMs } : { totalMs, upstreamMs: nonNegative(input.upstreamMs) };
  record.method = String(input.method);
  if (input.name !== undefined) record.name = String(input.name);
  record.outcome = input.outcome;
  if (params !== undefined) record.params = params;
  if (input.policyVersion !== undefined) record.policyVersion = String(input.policyVersion);
  record.prevHash = prevHash;
  record.redaction = level;
  if (result) record.result = result;
  record.schemaVersion = AUDIT_SCHEMA_VERSION;
  record.server = String(input.server);
  if (input.sessionId !== undefined) record.sessionId = String(input.sessionId);
  record.startedAt = new Date(startedMs).toISOString();
  if (input.user) record.user = plainUser(input.user);
  return record as UnhashedRecord;
}

export function toMs(time: number | Date): number {
  const ms = time instanceof Date ? time.getTime() : Number(time);
  return Number.isFinite(ms) ? ms : Date.now();
}

function nonNegative(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}

function plainClient(client: AuditRecordInput['client']): UnhashedRecord['client'] {
  const out: UnhashedRecord['client'] = {};
  if (client?.localTokenId !== undefined) out.localTokenId = String(client.localTokenId);
  if (client?.name !== undefined) out.name = String(client.name);
  if (client?.version !== undefined) out.version = String(client.version);
  return out;
}

function plainUser(user: NonNullable<AuditRecordInput['user']>): NonNullable<UnhashedRecord['user']> {
  const out: Partial<NonNullable<UnhashedRecord['user']>> = {};
  if (user.email !== undefined) out.email = String(user.email);
  if (Array.isArray(user.groups)) out.groups = user.groups.map(String);
  out.sub = String(user.sub);
  return out as NonNullable<UnhashedRecord['user']>;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The result, summarised: each content item's type and size always (that is metadata), its text at
 * redacted/full, structured content per level. Tool results carry `content`, resources/read
 * `contents`, prompts/get `messages`; other results (lists) are summarised by isError only.
 */
function summarizeResult(
  result: unknown,
  level: RedactionLevel,
  rules: RedactionRules,
): AuditResultSummary | undefined {
  if (!isObject(result)) return undefined;
  const items: AuditContentItem[] = [];
  if (Array.isArray(result.content)) for (const item of result.content) items.push(summarizeItem(item, level, rules));
  if (Array.isArray(result.contents)) {
    for (const item of result.contents) items.push(summarizeItem({ type: 'resource', resource: item }, level, rules));
  }
  if (Array.isArray(result.messages)) {
    for (const message of result.messages) {
      if (!isObject(message)) continue;
      const contents = Array.isArray(message.content) ? message.content : [message.content];
      for (const item of contents) {
        items.push(summarizeItem(item, level, rules, typeof message.role === 'string' ? message.role : undefined));
      }
    }
  }
  // Members in sorted order (content, isError, structuredContent): see buildRecord.
  const summary: AuditResultSummary = {};
  if (items.length > 0) summary.content = items;
  if (typeof result.isError === 'boolean') summary.isError = result.isError;
  if (result.structuredContent !== undefined) {
    const structured = redactValue(result.structuredContent, level, rules);
    if (structured !== undefined) summary.structuredContent = structured;
  }
  return Object.keys(summary).length > 0 ? summary : undefined;
}

function summarizeItem(item: unknown, level: RedactionLevel, rules: RedactionRules, role?: string): AuditContentItem {
  if (!isObject(item)) return { size: 0, type: 'unknown' };
  const type = typeof item.type === 'string' ? item.type : 'unknown';
  const source = type === 'resource' && isObject(item.resource) ? item.resource : item;
  let size: number;
  let text: { text: string; truncated: boolean } | undefined;
  if (typeof source.text === 'string') {
    size = source.text.length;
    if (level === 'redacted' || level === 'full') {
      text =
        level === 'full'
          ? truncate(source.text, rules.maxTextChars)
          : maskAndTruncate(source.text, rules, rules.maxTextChars);
    }
  } else {
    const data = typeof source.blob === 'string' ? source.blob : typeof source.data === 'string' ? source.data : '';
    size = base64Bytes(data);
  }
  // Members in sorted order: see buildRecord.
  const summary: Partial<AuditContentItem> = {};
  if (typeof source.mimeType === 'string') summary.mimeType = source.mimeType;
  if (role !== undefined) summary.role = role;
  summary.size = size;
  if (text) summary.text = text.text;
  if (text?.truncated) summary.truncated = true;
  summary.type = type;
  if (typeof source.uri === 'string') summary.uri = level === 'full' ? source.uri : maskText(source.uri, rules);
  return summary as AuditContentItem;
}

function base64Bytes(data: string): number {
  if (data.length === 0) return 0;
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

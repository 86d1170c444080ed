import type { AuditRecord } from './record.ts';

export type AuditExportFormat = 'jsonl' | 'csv';

/** CSV columns, in order: one per scalar field, params and structured content as JSON text. */
export const CSV_COLUMNS = [
  'id',
  'startedAt',
  'endedAt',
  'server',
  'method',
  'name',
  'outcome',
  'denyRule',
  'error',
  'totalMs',
  'upstreamMs',
  'bytesIn',
  'bytesOut',
  'clientName',
  'clientVersion',
  'localTokenId',
  'sessionId',
  'userSub',
  'userEmail',
  'userGroups',
  'policyVersion',
  'redaction',
  'isError',
  'params',
  'resultContent',
  'structuredContent',
  'prevHash',
  'hash',
] as const;

export function csvHeader(): string {
  return CSV_COLUMNS.join(',') + '\r\n';
}

export function csvRow(record: AuditRecord): string {
  const json = (value: unknown): string | undefined => (value === undefined ? undefined : JSON.stringify(value));
  const values: Record<(typeof CSV_COLUMNS)[number], string | number | boolean | undefined> = {
    id: record.id,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    server: record.server,
    method: record.method,
    name: record.name,
    outcome: record.outcome,
    denyRule: record.denyRule,
    error: record.error,
    totalMs: record.latency?.totalMs,
    upstreamMs: record.latency?.upstreamMs,
    bytesIn: record.bytesIn,
    bytesOut: record.bytesOut,
    clientName: record.client?.name,
    clientVersion: record.client?.version,
    localTokenId: record.client?.localTokenId,
    sessionId: record.sessionId,
    userSub: record.user?.sub,
    userEmail: record.user?.email,
    userGroups: record.user?.groups?.join(';'),
    policyVersion: record.policyVersion,
    redaction: record.redaction,
    isError: record.result?.isError,
    params: json(record.params),
    resultContent: json(record.result?.content),
    structuredContent: json(record.result?.structuredContent),
    prevHash: record.prevHash,
    hash: record.hash,
  };
  return CSV_COLUMNS.map((column) => csvField(values[column])).join(',') + '\r\n';
}

/**
 * RFC 4180 quoting, plus a leading apostrophe for text a spreadsheet would run as a formula
 * (=, +, -, @): an audit export must not execute what an AI client sent.
 */
function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function jsonlRow(record: AuditRecord): string {
  return JSON.stringify(record) + '\n';
}

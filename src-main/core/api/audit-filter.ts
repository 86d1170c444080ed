import type { AuditFilter, AuditRecord } from './contract.ts';

/**
 * The one meaning of an audit filter, used by the core to query history and by the window to
 * filter live records, so that both always agree.
 */
export function matchesAuditFilter(
  record: AuditRecord,
  filter: AuditFilter,
  searchText: (record: AuditRecord) => string = auditSearchText,
): boolean {
  if (filter.server && record.server !== filter.server) return false;
  if (filter.tool && record.tool !== filter.tool) return false;
  if (filter.outcome && record.outcome !== filter.outcome) return false;
  if (filter.client && record.client !== filter.client) return false;
  const text = filter.text?.trim().toLowerCase();
  if (text && !searchText(record).includes(text)) return false;
  return true;
}

/** Lower-cased text a free-text search looks in: names, outcome, error, parameters and response. */
export function auditSearchText(record: AuditRecord): string {
  const parts = [
    record.server,
    record.tool,
    record.client ?? '',
    record.user ?? '',
    record.outcome,
    record.error ?? '',
    record.reason ?? '',
  ];
  for (const value of [record.params, record.response]) {
    if (value !== undefined) parts.push(typeof value === 'string' ? value : safeJson(value));
  }
  return parts.join('\n').toLowerCase();
}

export function isEmptyAuditFilter(filter: AuditFilter): boolean {
  return !filter.server && !filter.tool && !filter.outcome && !filter.client && !filter.text?.trim();
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

import type { AuditFilter, AuditRecord } from './contract.ts';

/**
 * The window's reading of an audit filter, for live records (history is filtered by the audit
 * module's query, which means the same: see AuditFilterSchema).
 */
export function matchesAuditFilter(
  record: AuditRecord,
  filter: AuditFilter,
  searchText: (record: AuditRecord) => string = auditSearchText,
): boolean {
  if (filter.server && record.server !== filter.server) return false;
  if (filter.tool && record.name !== filter.tool) return false;
  if (filter.method && record.method !== filter.method) return false;
  if (filter.outcome && record.outcome !== filter.outcome) return false;
  if (filter.client && record.client?.name !== filter.client && record.client?.localTokenId !== filter.client)
    return false;
  const text = filter.text?.trim().toLowerCase();
  if (text && !matchesText(searchText(record), text)) return false;
  return true;
}

/** The record as the audit log stores it (one JSON line), lower-cased, for free-text search. */
export function auditSearchText(record: AuditRecord): string {
  try {
    return JSON.stringify(record).toLowerCase();
  } catch {
    return '';
  }
}

/** A quote or backslash in the text appears escaped in the JSON: look for both spellings. */
function matchesText(haystack: string, text: string): boolean {
  return haystack.includes(text) || haystack.includes(JSON.stringify(text).slice(1, -1));
}

export function isEmptyAuditFilter(filter: AuditFilter): boolean {
  return !filter.server && !filter.tool && !filter.method && !filter.outcome && !filter.client && !filter.text?.trim();
}

/** What the log shows in its Client column. */
export function auditClientLabel(record: AuditRecord): string | undefined {
  return record.client?.name ?? record.client?.localTokenId;
}

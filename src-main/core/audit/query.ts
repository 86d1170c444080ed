import { AuditError } from './errors.ts';
import type { AuditOutcome, AuditRecord } from './record.ts';
import { AUDIT_OUTCOMES } from './record.ts';
import type { SegmentIndex } from './segment-index.ts';
import { outcomeCode } from './segment-index.ts';
import type { Segment, SegmentStore } from './segment-store.ts';

/** Exact matches on server, tool, method, outcome and client (name or local token id); `text` is a case-insensitive substring of the stored record. */
export type AuditFilter = {
  /** Records that started at or after this time (epoch ms, Date or ISO string). */
  since?: number | string | Date;
  /** Records that started at or before this time. */
  until?: number | string | Date;
  server?: string | string[];
  /** Tool name, resource URI or prompt name. */
  tool?: string | string[];
  method?: string | string[];
  outcome?: AuditOutcome | AuditOutcome[];
  client?: string | string[];
  text?: string;
};

export type AuditQuery = AuditFilter & {
  /** Page size, 100 when absent, at most 10 000. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  /**
   * With `text`, stop reading after about this long and return what was found so far, with a
   * cursor to go on from (so a search box stays responsive on a large log). No limit when absent.
   */
  scanBudgetMs?: number;
};

export type AuditPage = {
  /** Newest first. */
  records: AuditRecord[];
  /** Null on the last page. A page cut short by `scanBudgetMs` may hold fewer records and still have one. */
  nextCursor: string | null;
};

export type Position = { segment: number; position: number };
type Matcher = (index: SegmentIndex, i: number) => boolean;

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;
const TEXT_BATCH = 512;

function encodeCursor(at: Position): string {
  return Buffer.from(`${at.segment}.${at.position}`).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  const match = /^(\d+)\.(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match)
    throw new AuditError(
      'AUDIT_BAD_CURSOR',
      'The audit query cursor is not one this log handed out; start again without it.',
    );
  return { segment: Number(match[1]), position: Number(match[2]) };
}

function toEpochMs(value: number | string | Date, what: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new AuditError(
      'AUDIT_BAD_INPUT',
      `${what} must be a time (epoch ms or ISO 8601), not ${JSON.stringify(value)}.`,
    );
  }
  return ms;
}

export async function queryPage(store: SegmentStore, query: AuditQuery): Promise<AuditPage> {
  const limit = Math.min(Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT)), MAX_LIMIT);
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const deadline = query.scanBudgetMs === undefined ? undefined : performance.now() + query.scanBudgetMs;
  const { items, more, resumeAt } = await findRecords(store, query, { order: 'desc', limit, after, deadline });
  const next = resumeAt ?? items.at(-1)?.at;
  return { records: items.map((item) => item.record), nextCursor: more && next ? encodeCursor(next) : null };
}

/**
 * Up to `limit` matching records in `order`, starting after `after`; `more` tells whether at
 * least one more exists (or, with `resumeAt`, whether the text scan hit `deadline` there). Filters
 * run on the index columns; only matches (and, with `text`, candidates) are read from disk.
 */
export async function findRecords(
  store: SegmentStore,
  filter: AuditFilter,
  options: { order: 'asc' | 'desc'; limit: number; after?: Position | undefined; deadline?: number | undefined },
): Promise<{ items: { record: AuditRecord; at: Position }[]; more: boolean; resumeAt?: Position }> {
  const matcher = compileFilter(store, filter);
  const items: { record: AuditRecord; at: Position }[] = [];
  if (!matcher) return { items, more: false };
  const since = filter.since === undefined ? Number.NEGATIVE_INFINITY : toEpochMs(filter.since, 'since');
  const until = filter.until === undefined ? Number.POSITIVE_INFINITY : toEpochMs(filter.until, 'until');
  const text = filter.text ? textMatcher(filter.text) : undefined;
  const want = options.limit + 1;
  const descending = options.order === 'desc';
  const segments = descending ? [...store.segments].reverse() : [...store.segments];
  const after = options.after;

  for (const segment of segments) {
    const index = segment.index;
    if (index.count === 0 || index.maxStartedAt < since || index.minStartedAt > until) continue;
    let from = descending ? index.count - 1 : 0;
    if (after) {
      if (descending ? segment.number > after.segment : segment.number < after.segment) continue;
      if (segment.number === after.segment) from = descending ? after.position - 1 : after.position + 1;
    }
    if (from < 0 || from >= index.count) continue;
    const step = descending ? -1 : 1;
    let candidates: number[] = [];
    const take = async (): Promise<void> => {
      await readMatches(store, segment, candidates, text, items);
      candidates = [];
    };
    for (let i = from; i >= 0 && i < index.count; i += step) {
      if (!matcher(index, i)) continue;
      candidates.push(i);
      if (text ? candidates.length >= TEXT_BATCH : items.length + candidates.length >= want) {
        await take();
        if (items.length >= want) break;
        if (options.deadline !== undefined && performance.now() > options.deadline) {
          return { items, more: true, resumeAt: { segment: segment.number, position: i } };
        }
      }
    }
    if (candidates.length > 0) await take();
    if (items.length >= want) break;
    if (text && options.deadline !== undefined && performance.now() > options.deadline) {
      // This segment is done: the next page starts with the one after it.
      return { items, more: true, resumeAt: { segment: segment.number, position: descending ? 0 : index.count - 1 } };
    }
  }
  const more = items.length > options.limit;
  return { items: items.slice(0, options.limit), more };
}

async function readMatches(
  store: SegmentStore,
  segment: Segment,
  positions: number[],
  text: ((line: string) => boolean) | undefined,
  into: { record: AuditRecord; at: Position }[],
): Promise<void> {
  const lines = await store.readLines(segment, positions);
  for (const [k, line] of lines.entries()) {
    if (line === undefined || (text && !text(line))) continue;
    try {
      into.push({ record: JSON.parse(line) as AuditRecord, at: { segment: segment.number, position: positions[k]! } });
    } catch {
      // A line damaged on disk: verify() reports it; a query just leaves it out.
    }
  }
}

function textMatcher(text: string): (line: string) => boolean {
  const plain = text.toLowerCase();
  // The stored line is JSON: a quote or backslash in the text appears escaped there.
  const escaped = JSON.stringify(text).slice(1, -1).toLowerCase();
  return (line) => {
    const lower = line.toLowerCase();
    return lower.includes(plain) || lower.includes(escaped);
  };
}

/** A predicate over index columns, or undefined when the filter cannot match anything. */
function compileFilter(store: SegmentStore, filter: AuditFilter): Matcher | undefined {
  const checks: Matcher[] = [];
  const ids = (values: string | string[] | undefined): number[] | undefined | null => {
    if (values === undefined) return undefined;
    const list = (Array.isArray(values) ? values : [values])
      .map((value) => store.strings.lookup(value))
      .filter((id) => id > 0);
    return list.length > 0 ? list : null;
  };
  const column = (name: 'server' | 'name' | 'method', values: string | string[] | undefined): boolean => {
    const wanted = ids(values);
    if (wanted === null) return false;
    if (wanted) checks.push(oneOf((index) => index[name], wanted));
    return true;
  };
  if (!column('server', filter.server) || !column('name', filter.tool) || !column('method', filter.method))
    return undefined;
  if (filter.client !== undefined) {
    const wanted = ids(filter.client);
    if (!wanted) return undefined;
    const byName = oneOf((index) => index.clientName, wanted);
    const byToken = oneOf((index) => index.clientToken, wanted);
    checks.push((index, i) => byName(index, i) || byToken(index, i));
  }
  if (filter.outcome !== undefined) {
    const outcomes = Array.isArray(filter.outcome) ? filter.outcome : [filter.outcome];
    for (const outcome of outcomes) {
      if (!AUDIT_OUTCOMES.includes(outcome)) {
        throw new AuditError(
          'AUDIT_BAD_INPUT',
          `Unknown outcome ${JSON.stringify(outcome)}; use one of ${AUDIT_OUTCOMES.join(', ')}.`,
        );
      }
    }
    checks.push(oneOf((index) => index.outcome, outcomes.map(outcomeCode)));
  }
  if (filter.since !== undefined) {
    const since = toEpochMs(filter.since, 'since');
    checks.push((index, i) => index.startedAt[i]! >= since);
  }
  if (filter.until !== undefined) {
    const until = toEpochMs(filter.until, 'until');
    checks.push((index, i) => index.startedAt[i]! <= until);
  }
  switch (checks.length) {
    case 0:
      return () => true;
    case 1:
      return checks[0];
    case 2: {
      const [a, b] = checks as [Matcher, Matcher];
      return (index, i) => a(index, i) && b(index, i);
    }
    default:
      return (index, i) => checks.every((check) => check(index, i));
  }
}

function oneOf(columnOf: (index: SegmentIndex) => Uint32Array | Uint8Array, wanted: number[]): Matcher {
  if (wanted.length === 1) {
    const only = wanted[0];
    return (index, i) => columnOf(index)[i] === only;
  }
  const set = new Set(wanted);
  return (index, i) => set.has(columnOf(index)[i]!);
}

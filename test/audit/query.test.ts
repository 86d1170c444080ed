import fs from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  AuditFilter,
  AuditLog,
  AuditOutcome,
  AuditPage,
  AuditQuery,
  AuditRecord,
} from '../../src-main/core/audit/index.ts';
import { CSV_COLUMNS, openAuditLog } from '../../src-main/core/audit/index.ts';
import { simpleCall, tempDir, waitFor } from './support.ts';

const OUTCOMES: AuditOutcome[] = ['ok', 'ok', 'ok', 'tool_error', 'denied', 'upstream_error', 'timeout', 'cancelled'];
const T0 = Date.parse('2025-05-01T08:00:00Z');
const MINUTE = 60_000;

describe('audit query', () => {
  let dir: string;
  let log: AuditLog;
  let all: AuditRecord[];
  let now = T0;

  beforeEach(async () => {
    dir = await tempDir();
    now = T0;
    log = await openAuditLog({ dir, now: () => now, segments: { maxBytes: 16 * 1024 } });
    all = [];
    for (let i = 0; i < 400; i++) {
      now = T0 + i * MINUTE;
      all.push(
        log.append(
          simpleCall(i, {
            startedAt: now - 20,
            endedAt: now,
            outcome: OUTCOMES[i % OUTCOMES.length]!,
            ...(i % 8 === 4 ? { denyRule: 'no-writes', error: 'Denied by rule no-writes' } : {}),
            ...(i === 123 ? { params: { arguments: { note: 'Said "hello, world" to Bob' } } } : {}),
          }),
        ),
      );
      if (i % 50 === 49) await log.flush();
    }
    await log.flush();
  });
  afterEach(async () => {
    await log.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** The same filter, by brute force over every record, newest first. */
  function expected(filter: AuditFilter): AuditRecord[] {
    const list = (value: string | string[] | undefined) =>
      value === undefined ? undefined : ([] as string[]).concat(value);
    const since = filter.since === undefined ? -Infinity : Number(filter.since);
    const until = filter.until === undefined ? Infinity : Number(filter.until);
    return all
      .filter(
        (record) =>
          (!filter.server || list(filter.server)!.includes(record.server)) &&
          (!filter.tool || list(filter.tool)!.includes(record.name!)) &&
          (!filter.outcome || list(filter.outcome)!.includes(record.outcome)) &&
          (!filter.client ||
            list(filter.client)!.some((c) => c === record.client.name || c === record.client.localTokenId)) &&
          Date.parse(record.startedAt) >= since &&
          Date.parse(record.startedAt) <= until &&
          (!filter.text || textIn(record, filter.text)),
      )
      .reverse();
  }

  async function everyPage(filter: AuditFilter, limit: number): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const query: AuditQuery = { ...filter, limit, ...(cursor ? { cursor } : {}) };
      const page: AuditPage = await log.query(query);
      records.push(...page.records);
      if (!page.nextCursor) return records;
      expect(page.records).toHaveLength(limit);
      cursor = page.nextCursor;
    }
    throw new Error('paging did not end');
  }

  it.each<[string, AuditFilter]>([
    ['everything', {}],
    ['a server', { server: 'github' }],
    ['a tool and a time range', { tool: 'tool-2', since: T0 + 100 * MINUTE, until: T0 + 250 * MINUTE }],
    ['outcomes', { outcome: ['tool_error', 'upstream_error', 'timeout'] }],
    ['denials by one client', { outcome: 'denied', client: 'cursor' }],
    ['a local token id', { client: 'claude-desktop', server: 'everything' }],
    ['free text', { text: 'DENIED BY RULE' }],
    ['free text with quotes', { text: '"hello, world"' }],
    ['an unknown server', { server: 'nowhere' }],
  ])('filters by %s, newest first, across pages and segments', async (_name, filter) => {
    const want = expected(filter);
    expect((await everyPage(filter, 7)).map((r) => r.id)).toEqual(want.map((r) => r.id));
    const first = await log.query({ ...filter, limit: 1000 });
    expect(first.records).toEqual(want);
    expect(first.nextCursor).toBeNull();
  });

  it('a text search with a scan budget returns what it found so far and a cursor to go on', async () => {
    const needles: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const record = log.append(simpleCall(i, i % 100 === 7 ? { error: `needle ${i}`, outcome: 'tool_error' } : {}));
      if (i % 100 === 7) needles.push(record.id);
    }
    await log.flush();
    const found: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = await log.query({ text: 'NEEDLE', limit: 5, scanBudgetMs: 0, ...(cursor ? { cursor } : {}) });
      found.push(...page.records.map((record) => record.id));
      pageSizes.push(page.records.length);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(found).toEqual(needles.reverse());
    // Cut short by the budget: pages with fewer than 5 records that still had a next page.
    expect(pageSizes.slice(0, -1).some((size) => size < 5)).toBe(true);
  });

  it('rejects a cursor it did not hand out, and an unknown outcome', async () => {
    await expect(log.query({ cursor: 'garbage!' })).rejects.toMatchObject({ code: 'AUDIT_BAD_CURSOR' });
    await expect(log.query({ outcome: 'maybe' as AuditOutcome })).rejects.toMatchObject({ code: 'AUDIT_BAD_INPUT' });
  });

  it('exports JSON Lines and CSV, oldest first, with CSV fields quoted and formulas defused', async () => {
    log.append(simpleCall(999, { params: { arguments: { formula: '=HYPERLINK("http://x")', multi: 'a,b\nc' } } }));
    const jsonl = new Collect();
    expect(await log.export(jsonl, { format: 'jsonl', filter: { server: 'github' } })).toBe(
      expected({ server: 'github' }).length + 1,
    );
    const lines = jsonl.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditRecord);
    expect(lines.slice(0, -1)).toEqual(expected({ server: 'github' }).reverse());

    const csv = new Collect();
    const count = await log.export(csv, { format: 'csv', filter: { outcome: 'denied' } });
    expect(count).toBe(expected({ outcome: 'denied' }).length);
    const rows = csv.text.split('\r\n');
    expect(rows[0]).toBe(CSV_COLUMNS.join(','));
    expect(rows[1]).toContain(',denied,no-writes,Denied by rule no-writes,');

    const withFormula = new Collect();
    await log.export(withFormula, { format: 'csv', filter: { text: 'HYPERLINK' } });
    expect(withFormula.text).toContain(
      '"{""arguments"":{""formula"":""=HYPERLINK(\\""http://x\\"")"",""multi"":""a,b\\nc""}}"',
    );
    const cell = new Collect();
    const { csvRow } = await import('../../src-main/core/audit/index.ts');
    cell.write(csvRow({ ...all[0]!, error: '=cmd|calc' }));
    expect(cell.text).toContain(",'=cmd|calc,");
  });

  it('streams new records to subscribers once they are on disk, in order, until unsubscribed', async () => {
    const seen: AuditRecord[] = [];
    const unsubscribe = log.subscribe((record) => seen.push(record));
    const appended = [log.append(simpleCall(1)), log.append(simpleCall(2))];
    expect(seen).toEqual([]);
    await log.flush();
    expect(seen).toEqual(appended);
    unsubscribe();
    log.append(simpleCall(3));
    await log.flush();
    expect(seen).toHaveLength(2);
  });

  it('lets a read-only opener (the CLI) follow what the writer appends', async () => {
    const reader = await openAuditLog({ dir, readOnly: true, pollIntervalMs: 20 });
    try {
      expect((await reader.query({ limit: 1000 })).records).toHaveLength(400);
      const seen: string[] = [];
      const unsubscribe = reader.subscribe((record) => seen.push(record.id));
      const appended = Array.from({ length: 30 }, (_, i) => log.append(simpleCall(i)).id);
      await log.flush();
      await waitFor(() => seen.length === 30, 5000, 'the reader to see the new records');
      expect(seen).toEqual(appended);
      unsubscribe();
      expect((await reader.query({ limit: 1 })).records[0]!.id).toBe(appended.at(-1));
    } finally {
      await reader.close();
    }
  });

  it('keeps the query index beside each finished segment', async () => {
    const names = await fs.readdir(dir);
    const segments = names.filter((name) => name.endsWith('.jsonl'));
    expect(segments.length).toBeGreaterThan(3);
    for (const segment of segments.slice(0, -1)) expect(names).toContain(segment.replace('.jsonl', '.idx'));
    expect(path.basename(segments[0]!)).toBe('audit-00000001.jsonl');
  });
});

/** What a person means by "contains": the text as they typed it, quotes and all (JSON escapes them). */
function textIn(record: AuditRecord, text: string): boolean {
  const json = JSON.stringify(record).toLowerCase();
  return json.includes(text.toLowerCase()) || json.includes(JSON.stringify(text).slice(1, -1).toLowerCase());
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

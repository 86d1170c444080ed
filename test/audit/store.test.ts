import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditLog, AuditLogOptions, AuditRecord, VerifyResult } from '../../src-main/core/audit/index.ts';
import { AuditError, DEFAULT_AUDIT_LIMITS, openAuditLog, verifyAuditDir } from '../../src-main/core/audit/index.ts';
import { segmentFiles, simpleCall, tempDir } from './support.ts';

const GENESIS = '0'.repeat(64);

describe('audit store', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function newDir(): Promise<string> {
    const dir = await tempDir();
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    return dir;
  }

  async function open(dir: string, options: Omit<AuditLogOptions, 'dir'> = {}): Promise<AuditLog> {
    const log = await openAuditLog({ dir, ...options });
    cleanup.push(() => log.close());
    return log;
  }

  async function all(log: AuditLog): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    for await (const record of log.records()) records.push(record);
    return records;
  }

  it('has each record in the file when append returns, and chains every record to the one before', async () => {
    const dir = await newDir();
    const log = await open(dir);
    const appended = Array.from({ length: 50 }, (_, i) => log.append(simpleCall(i)));
    // No await in between: the lines reached the file (page cache) inside append, first write included.
    const lines = fsSync.readFileSync(path.join(dir, 'audit-00000001.jsonl'), 'utf8').split('\n');
    expect(lines.filter(Boolean).map((line) => JSON.parse(line).id)).toEqual(appended.map((record) => record.id));
    expect(log.status().queued).toBe(0);
    await log.flush();
    expect(log.status()).toMatchObject({
      queued: 0,
      records: 50,
      segments: 1,
      maxBytes: DEFAULT_AUDIT_LIMITS.maxBytes,
    });
    expect(appended[0]!.prevHash).toBe(GENESIS);
    for (let i = 1; i < appended.length; i++) expect(appended[i]!.prevHash).toBe(appended[i - 1]!.hash);
    expect(appended.map((record) => record.id)).toEqual(appended.map((record) => record.id).sort());
    expect(await all(log)).toEqual(appended);
    expect(await log.verify()).toMatchObject({ ok: true, records: 50, lastHash: appended.at(-1)!.hash });
  });

  it('appendSoon holds at most one record, writes it within moments, and every read sees it', async () => {
    const dir = await newDir();
    const log = await open(dir);
    const file = path.join(dir, 'audit-00000001.jsonl');
    const lines = () =>
      fsSync.existsSync(file) ? fsSync.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
    let built = 0;
    const soon = (i: number) =>
      log.appendSoon(() => {
        built++;
        return simpleCall(i);
      });

    soon(0);
    expect([built, lines()]).toEqual([0, 0]); // nothing done yet: the caller answers first
    soon(1); // a second one writes the first: never more than one pending
    expect([built, lines()]).toEqual([1, 1]);
    log.append(simpleCall(2)); // a plain append writes it too, in order
    expect(lines()).toBe(3);
    soon(3);
    expect(log.metrics().hour.total.calls).toBe(4); // reads write it first: metrics, status, queries
    soon(4);
    expect(log.status().records).toBe(5);
    soon(5);
    expect((await log.query({})).records).toHaveLength(6);
    soon(6);
    log.writePending(); // what the gateway calls while it waits on a server
    expect(lines()).toBe(7);
    soon(7);
    await new Promise((resolve) => setTimeout(resolve, 20)); // or it goes by itself, moments later
    expect(lines()).toBe(8);
    const records = await all(log);
    expect(records.map((r) => r.params)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => simpleCall(i).params));
    expect(await log.verify()).toMatchObject({ ok: true, records: 8 });
    soon(8); // and close writes it
    await log.close();
    expect(lines()).toBe(9);
  });

  it('continues the chain after a reopen, from the index written at close', async () => {
    const dir = await newDir();
    const first = await openAuditLog({ dir });
    for (let i = 0; i < 10; i++) first.append(simpleCall(i));
    const last = first.append(simpleCall(10));
    await first.close();
    expect((await fs.readdir(dir)).filter((name) => name.endsWith('.idx'))).toHaveLength(1);
    const log = await open(dir);
    const next = log.append(simpleCall(11));
    expect(next.prevHash).toBe(last.hash);
    expect((await all(log)).map((record) => record.id).at(-2)).toBe(last.id);
    expect(await log.verify()).toMatchObject({ ok: true, records: 12 });
  });

  it('hashes the canonical JSON an outside verifier can rebuild, whatever the keys look like', async () => {
    const dir = await newDir();
    const log = await open(dir, { redaction: { level: 'full' } });
    const odd = {
      '10': 'ten',
      '2': 'two',
      zeta: { b: 1, a: [{ y: true, x: null }] },
      ünï: 'cödé \u2028 "quoted" \\ \ud800',
      '': 'empty key',
      n: 1e21,
      f: 0.1,
    };
    const appended = [log.append(simpleCall(1, { params: odd })), log.append(simpleCall(2))];
    await log.flush();
    const [segment] = await segmentFiles(dir);
    const lines = (await fs.readFile(path.join(dir, segment!), 'utf8')).trimEnd().split('\n');
    for (const [i, line] of lines.entries()) {
      const { hash, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const { createHash } = await import('node:crypto');
      expect(createHash('sha256').update(naiveCanonical(rest)).digest('hex')).toBe(hash);
      expect(hash).toBe(appended[i]!.hash);
    }
    expect((await log.verify()).ok).toBe(true);
  });

  it('refuses a second writer on the same folder, but lets readers in', async () => {
    const dir = await newDir();
    const log = await open(dir);
    log.append(simpleCall(1));
    await log.flush();
    const second = await openAuditLog({ dir }).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(AuditError);
    expect(second).toMatchObject({ code: 'AUDIT_LOCKED', message: expect.stringContaining(`process ${process.pid}`) });
    const reader = await open(dir, { readOnly: true });
    expect((await reader.query()).records).toHaveLength(1);
    expect(() => reader.append(simpleCall(2))).toThrow(expect.objectContaining({ code: 'AUDIT_READ_ONLY' }));
  });

  it('rotates by size; the chain, queries and verification span the segments', async () => {
    const dir = await newDir();
    const log = await open(dir, { segments: { maxBytes: 4096 } });
    for (let i = 0; i < 200; i++) {
      const record = log.append(simpleCall(i));
      // Also across a rotation the line is in the newest segment before append returns.
      const newest = fsSync
        .readdirSync(dir)
        .filter((name) => name.endsWith('.jsonl'))
        .sort()
        .at(-1)!;
      expect(fsSync.readFileSync(path.join(dir, newest), 'utf8')).toContain(record.id);
      if (i % 20 === 19) await log.flush();
    }
    await log.flush();
    const segments = await segmentFiles(dir);
    expect(segments.length).toBeGreaterThan(5);
    for (const name of segments.slice(0, -1)) {
      expect((await fs.stat(path.join(dir, name))).size).toBeLessThan(4096 + 20 * 400);
      await expect(fs.access(path.join(dir, name.replace('.jsonl', '.idx')))).resolves.toBeUndefined();
    }
    expect(await log.verify()).toMatchObject({ ok: true, records: 200, segments: segments.length });
    const page = await log.query({ tool: 'tool-3', limit: 1000 });
    expect(page.records).toHaveLength(40);
  });

  it('rotates by age and deletes segments past the retention age, verifying from the oldest one kept', async () => {
    const dir = await newDir();
    let now = Date.parse('2025-03-01T00:00:00Z');
    const hour = 3_600_000;
    const log = await open(dir, { now: () => now, segments: { maxAgeMs: hour }, retention: { maxAgeMs: 5 * hour } });
    for (let h = 0; h < 10; h++) {
      for (let i = 0; i < 5; i++) log.append(simpleCall(i, { startedAt: now }));
      await log.flush();
      now += hour + 1;
    }
    log.append(simpleCall(99, { startedAt: now }));
    await log.flush();
    const status = log.status();
    expect(status.segments).toBeLessThanOrEqual(7);
    expect(status.records).toBeLessThan(51);
    const result = await log.verify();
    expect(result.ok).toBe(true);
    expect(result.anchoredAt).toMatch(/^[0-9a-f]{64}$/);
    const oldest = (await log.query({ limit: 1000 })).records.at(-1)!;
    expect(Date.parse(oldest.startedAt)).toBeGreaterThanOrEqual(now - 6 * hour - 10);
  });

  it('deletes the oldest segments past the size limit', async () => {
    const dir = await newDir();
    const log = await open(dir, { segments: { maxBytes: 2048 }, retention: { maxBytes: 10_000 } });
    for (let i = 0; i < 300; i++) {
      log.append(simpleCall(i));
      if (i % 5 === 4) await log.flush();
    }
    await log.flush();
    const sizes = await Promise.all(
      (await segmentFiles(dir)).map(async (name) => (await fs.stat(path.join(dir, name))).size),
    );
    // The limit holds up to the segment being written, which retention never deletes.
    expect(sizes.slice(0, -1).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10_000);
    expect(await log.verify()).toMatchObject({ ok: true });
    const newest = (await log.query({ limit: 1 })).records[0]!;
    expect((newest.params as { arguments: { seq: number } }).arguments.seq).toBe(299);
  });

  it('recovers from a torn last line: keeps it aside, truncates, and continues the chain from the last good record', async () => {
    const dir = await newDir();
    const first = await openAuditLog({ dir });
    for (let i = 0; i < 5; i++) first.append(simpleCall(i));
    const lastGood = first.append(simpleCall(5));
    await first.close();
    const [segment] = await segmentFiles(dir);
    const file = path.join(dir, segment!);
    const torn = '{"bytesIn":0,"bytesOut":0,"client":{},"endedAt":"2025-';
    await fs.appendFile(file, torn);
    // What a reader sees while the writer is down: the whole records, and an unfinished tail.
    expect(await verifyAuditDir(dir)).toMatchObject({ ok: true, records: 6, unfinishedTail: true });

    const log = await open(dir);
    expect(log.status().recovered).toMatchObject({ tornBytes: torn.length });
    expect(await fs.readFile(path.join(dir, segment!.replace('.jsonl', '.torn')), 'utf8')).toBe(torn);
    const next = log.append(simpleCall(6));
    expect(next.prevHash).toBe(lastGood.hash);
    expect(await log.verify()).toMatchObject({ ok: true, records: 7, unfinishedTail: false });
  });

  it('detects a record edited on disk at the right file, line and record', async () => {
    const dir = await newDir();
    const log = await open(dir, { segments: { maxBytes: 3000 } });
    const records = Array.from({ length: 40 }, (_, i) => log.append(simpleCall(i)));
    await log.flush();
    const segments = await segmentFiles(dir);
    expect(segments.length).toBeGreaterThan(1);
    const file = path.join(dir, segments[1]!);
    const lines = (await fs.readFile(file, 'utf8')).split('\n');
    const target = JSON.parse(lines[2]!) as AuditRecord;
    lines[2] = lines[2]!.replace('"outcome":"ok"', '"outcome":"denied"');
    await fs.writeFile(file, lines.join('\n'));

    const result: VerifyResult = await log.verify();
    expect(result.ok).toBe(false);
    expect(result.broken).toMatchObject({ file: segments[1], line: 3, recordId: target.id, reason: 'hash-mismatch' });
    expect(result.records).toBe(records.findIndex((record) => record.id === target.id));
  });

  it('detects an edit whose hash was recomputed, and a deleted record, at the next record', async () => {
    const { recordHash } = await import('../../src-main/core/audit/canonical.ts');
    const dir = await newDir();
    const log = await open(dir);
    for (let i = 0; i < 10; i++) log.append(simpleCall(i));
    await log.flush();
    const [segment] = await segmentFiles(dir);
    const file = path.join(dir, segment!);
    const original = await fs.readFile(file, 'utf8');
    const lines = original.split('\n');

    const edited = JSON.parse(lines[4]!) as Record<string, unknown>;
    edited.server = 'someone-else';
    edited.hash = recordHash(edited);
    await fs.writeFile(file, [...lines.slice(0, 4), JSON.stringify(edited), ...lines.slice(5)].join('\n'));
    expect((await log.verify()).broken).toMatchObject({
      line: 6,
      reason: 'chain-broken',
      recordId: JSON.parse(lines[5]!).id,
    });

    await fs.writeFile(file, [...lines.slice(0, 7), ...lines.slice(8)].join('\n'));
    expect((await log.verify()).broken).toMatchObject({
      line: 8,
      reason: 'chain-broken',
      recordId: JSON.parse(lines[8]!).id,
    });

    await fs.writeFile(file, original);
    expect((await log.verify()).ok).toBe(true);
  });

  it('detects a segment file removed from the middle', async () => {
    const dir = await newDir();
    const log = await open(dir, { segments: { maxBytes: 2000 } });
    for (let i = 0; i < 40; i++) log.append(simpleCall(i));
    await log.flush();
    const segments = await segmentFiles(dir);
    expect(segments.length).toBeGreaterThan(3);
    await fs.rm(path.join(dir, segments[1]!));
    const result = await log.verify();
    expect(result.broken).toMatchObject({ file: segments[2], line: 1, reason: 'chain-broken' });
    expect(result.broken!.detail).toContain('segment files 2 to 2 are missing');
  });

  it('rebuilds a missing or damaged index from the segment', async () => {
    const dir = await newDir();
    const first = await openAuditLog({ dir, segments: { maxBytes: 3000 } });
    for (let i = 0; i < 60; i++) first.append(simpleCall(i));
    await first.close();
    const indexes = (await fs.readdir(dir)).filter((name) => name.endsWith('.idx')).sort();
    expect(indexes.length).toBeGreaterThanOrEqual(3);
    await fs.rm(path.join(dir, indexes[0]!));
    await fs.writeFile(path.join(dir, indexes[1]!), 'not an index');
    const log = await open(dir);
    expect((await log.query({ tool: 'tool-2', limit: 100 })).records).toHaveLength(12);
    expect(log.status().records).toBe(60);
    expect((await fs.readFile(path.join(dir, indexes[1]!))).subarray(0, 8).toString()).toBe('GHAIDX01');
  });

  it('a read-only opener changes nothing on disk, even with a torn tail', async () => {
    const dir = await newDir();
    const writer = await openAuditLog({ dir });
    for (let i = 0; i < 3; i++) writer.append(simpleCall(i));
    await writer.close();
    const [segment] = await segmentFiles(dir);
    await fs.appendFile(path.join(dir, segment!), '{"partial":');
    const before = await fs.readdir(dir);
    const sizeBefore = (await fs.stat(path.join(dir, segment!))).size;
    const reader = await open(dir, { readOnly: true });
    expect((await reader.query()).records).toHaveLength(3);
    await reader.close();
    expect(await fs.readdir(dir)).toEqual(before);
    expect((await fs.stat(path.join(dir, segment!))).size).toBe(sizeBefore);
  });
});

/** The canonical form as documented (sorted keys, JSON.stringify scalars), written the obvious way. */
function naiveCanonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(naiveCanonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return `{${Object.keys(object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${naiveCanonical(object[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

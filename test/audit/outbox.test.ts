import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  AuditLog,
  AuditLogStatus,
  AuditOutbox,
  AuditRecord,
  AuditSink,
  OutboxStatus,
} from '../../src-main/core/audit/index.ts';
import { AuditSinkError, createHttpsBatchSink, createOutbox, openAuditLog } from '../../src-main/core/audit/index.ts';
import { recordHash } from '../../src-main/core/audit/canonical.ts';
import { simpleCall, tempDir, TestBatchReceiver, waitFor } from './support.ts';

const FAST = { initialMs: 30, maxMs: 150 };

describe('audit outbox to the HTTPS batch receiver', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setup(options: { logOptions?: Partial<Parameters<typeof openAuditLog>[0]>; token?: string } = {}) {
    const dir = await tempDir();
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const receiver = await new TestBatchReceiver().start();
    receiver.token = options.token;
    cleanup.push(() => receiver.stop());
    const log = await openAuditLog({ dir, ...options.logOptions });
    cleanup.push(() => log.close());
    return { dir, receiver, log };
  }

  async function outboxFor(
    log: AuditLog,
    receiver: TestBatchReceiver,
    extra: { token?: string; batchRecords?: number } = {},
  ): Promise<AuditOutbox> {
    const outbox = await createOutbox({
      log,
      sink: createHttpsBatchSink({ url: receiver.url, token: () => extra.token }),
      startAt: 'start',
      backoff: FAST,
      batchRecords: extra.batchRecords ?? 100,
    });
    cleanup.push(() => outbox.stop());
    return outbox;
  }

  it('delivers every record exactly once after deduplication, through the receiver going down and coming back', async () => {
    const { log, receiver } = await setup({ token: 'org-access-token' });
    const ids: string[] = [];
    for (let i = 0; i < 250; i++) ids.push(log.append(simpleCall(i)).id);
    const outbox = await outboxFor(log, receiver, { token: 'org-access-token' });
    await outbox.drain();
    expect(receiver.unique.size).toBe(250);

    await receiver.stop();
    for (let i = 0; i < 200; i++) ids.push(log.append(simpleCall(i)).id);
    await log.flush();
    await waitFor(() => outbox.status().failures >= 3, 10_000, 'several failed attempts while the receiver is down');
    const offline = outbox.status();
    expect(offline).toMatchObject({ state: 'retrying', delivered: 250 });
    expect(offline.lastError).toMatch(/Cannot reach the audit endpoint/);
    expect(offline.pendingBytes).toBeGreaterThan(0);
    expect(Date.parse(offline.nextAttemptAt!)).toBeGreaterThan(Date.now() - 1000);

    await receiver.start();
    await outbox.drain();
    expect([...receiver.unique.keys()].sort()).toEqual([...ids].sort());
    for (const record of receiver.unique.values()) expect(recordHash(record)).toBe(record.hash);
    expect(outbox.status()).toMatchObject({ state: 'idle', delivered: 450, pendingBytes: 0, failures: 0, dropped: 0 });
    expect(outbox.status().warning).toBeUndefined();
  });

  it('resends a batch whose acknowledgement was lost and one abandoned by a restart; the receiver deduplicates', async () => {
    const { dir, log, receiver } = await setup();
    const ids = Array.from({ length: 120 }, (_, i) => log.append(simpleCall(i)).id);
    receiver.loseAcknowledgements = 1;
    const outbox = await outboxFor(log, receiver, { batchRecords: 50 });
    await outbox.drain();
    expect(receiver.store.received).toBe(170);
    expect(receiver.unique.size).toBe(120);

    // A new outbox for the same sink picks up at the saved cursor: nothing is sent twice without cause.
    await outbox.stop();
    const cursor = JSON.parse(await fs.readFile(path.join(dir, 'outbox', 'https.json'), 'utf8'));
    expect(cursor).toMatchObject({ delivered: 120, lastDeliveredId: ids.at(-1) });
    for (let i = 0; i < 30; i++) ids.push(log.append(simpleCall(i)).id);
    const resumed = await outboxFor(log, receiver, { batchRecords: 50 });
    await resumed.drain();
    expect(receiver.store.received).toBe(200);
    expect([...receiver.unique.keys()].sort()).toEqual([...ids].sort());
  });

  it('by default ships only what is appended after the sink was first configured', async () => {
    const { log, receiver } = await setup();
    for (let i = 0; i < 10; i++) log.append(simpleCall(i));
    const outbox = await createOutbox({ log, sink: createHttpsBatchSink({ url: receiver.url }), backoff: FAST });
    cleanup.push(() => outbox.stop());
    const later = log.append(simpleCall(99));
    await outbox.drain();
    expect([...receiver.unique.keys()]).toEqual([later.id]);
  });

  it('warns while the backlog nears the size limit, and counts what the limit deleted unshipped', async () => {
    const { log, receiver } = await setup({
      logOptions: { segments: { maxBytes: 8 * 1024 }, retention: { maxBytes: 64 * 1024 } },
    });
    await receiver.stop();
    const outbox = await outboxFor(log, receiver);
    const statuses: OutboxStatus[] = [];
    outbox.onStatus((status) => statuses.push(status));
    const logStatuses: AuditLogStatus[] = [];
    log.onStatus((status) => logStatuses.push(status));

    let appended = 0;
    while (!outbox.status().warning) {
      log.append(simpleCall(appended++));
      if (appended % 10 === 0) await log.flush();
      expect(appended).toBeLessThan(1000);
    }
    // Listeners hear of written records a microtask after append returns.
    await log.flush();
    const warned = outbox.status();
    expect(warned.dropped).toBe(0);
    expect(warned.warning).toMatch(/waiting for https; at 0\.1 MiB the oldest will be deleted unshipped/);
    expect(warned.pendingBytes).toBeGreaterThanOrEqual(0.8 * 64 * 1024);
    expect(statuses.some((status) => status.warning)).toBe(true);
    expect(log.status().droppedUnshipped).toBe(0);

    for (let i = 0; i < 300; i++) {
      log.append(simpleCall(appended++));
      if (i % 10 === 0) await log.flush();
    }
    await log.flush();
    expect(log.status().droppedUnshipped).toBeGreaterThan(0);
    expect(logStatuses.at(-1)!.droppedUnshipped).toBe(log.status().droppedUnshipped);

    await receiver.start();
    outbox.retryNow();
    await outbox.drain();
    const status = outbox.status();
    expect(status.dropped).toBeGreaterThan(0);
    // The log counts whole segments it deleted; a few of their records may have reached the sink just before.
    expect(status.dropped).toBeLessThanOrEqual(log.status().droppedUnshipped);
    expect(status.warning).toMatch(/were deleted before they reached https/);
    expect(receiver.unique.size + status.dropped).toBe(appended);
  });

  it('halves the batch when a sink says it is too large, and retries a failing sink with growing, jittered delays', async () => {
    const { log } = await setup();
    const sizes: number[] = [];
    const attemptsAt: number[] = [];
    let failuresLeft = 4;
    const delivered: AuditRecord[] = [];
    const sink: AuditSink = {
      name: 'picky',
      async send(records) {
        sizes.push(records.length);
        if (records.length > 25) throw new AuditSinkError('payload too large', { status: 413 });
        attemptsAt.push(Date.now());
        if (failuresLeft-- > 0) throw new AuditSinkError('service unavailable', { status: 503 });
        delivered.push(...records);
      },
    };
    const ids = Array.from({ length: 60 }, (_, i) => log.append(simpleCall(i)).id);
    const outbox = await createOutbox({
      log,
      sink,
      startAt: 'start',
      batchRecords: 100,
      backoff: { initialMs: 40, maxMs: 1000 },
      random: () => 1,
    });
    cleanup.push(() => outbox.stop());
    await outbox.drain();
    expect(sizes.slice(0, 3)).toEqual([60, 30, 15]);
    expect(delivered.map((record) => record.id)).toEqual(ids);
    const gaps = attemptsAt.slice(1, 5).map((at, i) => at - attemptsAt[i]!);
    // 40, 80, 160, 320 ms with the jitter at its maximum.
    for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual(40 * 2 ** i - 5);
    expect(outbox.status()).toMatchObject({ delivered: 60, failures: 0 });
  });

  it('refuses plain http to anything but loopback', () => {
    expect(() => createHttpsBatchSink({ url: 'http://audit.example.com/ingest' })).toThrow(/must use https/);
    expect(() => createHttpsBatchSink({ url: 'http://[::1]:9/x' })).not.toThrow();
  });

  it('is rejected by the receiver without the right bearer token, and says so in its status', async () => {
    const { log, receiver } = await setup({ token: 'right' });
    const outbox = await outboxFor(log, receiver, { token: 'wrong' });
    log.append(simpleCall(1));
    await log.flush();
    await waitFor(() => outbox.status().failures >= 1, 5000, 'a rejected attempt');
    expect(outbox.status().lastError).toMatch(/answered 401/);
    expect(receiver.unique.size).toBe(0);
  });
});

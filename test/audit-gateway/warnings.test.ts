import fs from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpsBatchSink, createOutbox, openAuditLog } from '../../src-main/core/audit/index.ts';
import { watchAuditWarnings } from '../../src-main/core/gateway/audit-bridge.ts';
import { simpleCall, tempDir, TestBatchReceiver } from '../audit/support.ts';

describe('status events for audit warnings', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('fire when a warning appears or goes, not for every batch a sink takes', async () => {
    const dir = await tempDir();
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const receiver = await new TestBatchReceiver().start();
    cleanup.push(() => receiver.stop());
    const log = await openAuditLog({ dir, segments: { maxBytes: 8 * 1024 }, retention: { maxBytes: 64 * 1024 } });
    cleanup.push(() => log.close());
    const outbox = await createOutbox({
      log,
      sink: createHttpsBatchSink({ url: receiver.url }),
      backoff: { initialMs: 30, maxMs: 150 },
      batchRecords: 5,
    });
    cleanup.push(() => outbox.stop());
    let events = 0;
    watchAuditWarnings(log, [outbox], () => events++);

    // Shipping as it should: many batches, no warning, no event.
    for (let i = 0; i < 40; i++) log.append(simpleCall(i));
    await outbox.drain();
    expect(receiver.unique.size).toBe(40);
    expect(events).toBe(0);

    // The sink goes away and the backlog grows to the warning: one event.
    await receiver.stop();
    let appended = 40;
    while (!outbox.status().warning) {
      log.append(simpleCall(appended++));
      if (appended % 10 === 0) await log.flush();
      expect(appended).toBeLessThan(1000);
    }
    await log.flush();
    expect(events).toBe(1);

    // It comes back and the backlog ships: the warning goes, one more event.
    await receiver.start();
    outbox.retryNow();
    await outbox.drain();
    expect(outbox.status().warning).toBeUndefined();
    expect(events).toBe(2);
  });
});

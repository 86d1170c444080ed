import fs from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  auditSummaryLine,
  auditWarnings,
  createHttpsBatchSink,
  createOutbox,
  openAuditLog,
} from '../../src-main/core/audit/index.ts';
import { simpleCall, tempDir, TestBatchReceiver } from './support.ts';

describe('what the tray and the window say about the audit trail', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it("sums up the last hour in one line from the log's metrics", async () => {
    const dir = await tempDir();
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const log = await openAuditLog({ dir });
    cleanup.push(() => log.close());
    expect(auditSummaryLine(log.metrics())).toBe('Last hour: no tool calls');
    log.append(simpleCall(1, { totalMs: 12 }));
    expect(auditSummaryLine(log.metrics())).toMatch(/^Last hour: 1 call, p95 1\d ms$/);
    log.append(simpleCall(2, { outcome: 'upstream_error', error: 'down', totalMs: 40 }));
    log.append(simpleCall(3, { outcome: 'denied', denyRule: 'r', totalMs: 0 }));
    expect(auditSummaryLine(log.metrics())).toMatch(/^Last hour: 3 calls, 1 error, 1 denied, p95 \d+ ms$/);
  });

  it('warns while a sink is unreachable and its backlog nears the limit, before anything is dropped', async () => {
    const dir = await tempDir();
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const receiver = await new TestBatchReceiver().start();
    const url = receiver.url;
    await receiver.stop();
    const log = await openAuditLog({ dir, segments: { maxBytes: 8 * 1024 }, retention: { maxBytes: 64 * 1024 } });
    cleanup.push(() => log.close());
    const outbox = await createOutbox({
      log,
      sink: createHttpsBatchSink({ url }),
      backoff: { initialMs: 30, maxMs: 150 },
    });
    cleanup.push(() => outbox.stop());
    expect(auditWarnings(log.status(), [outbox.status()])).toEqual([]);

    let appended = 0;
    while (auditWarnings(log.status(), [outbox.status()]).length === 0) {
      log.append(simpleCall(appended++));
      if (appended % 10 === 0) await log.flush();
      expect(appended).toBeLessThan(1000);
    }
    expect(log.status().droppedUnshipped).toBe(0);
    expect(auditWarnings(log.status(), [outbox.status()])).toEqual([
      expect.stringMatching(/waiting for https; at 0\.1 MiB the oldest will be deleted unshipped/),
    ]);
  });

  it('says when the log cannot be written and when records were lost', () => {
    const status = {
      dir: '/x',
      readOnly: false,
      segments: 1,
      records: 10,
      bytes: 100,
      maxBytes: 1000,
      queued: 3,
      droppedOnWrite: 2,
      droppedUnshipped: 5,
      writeError: 'Cannot write the audit log in /x (ENOSPC: no space left on device)',
      recovered: { tornBytes: 0, unreadableLines: 0 },
    };
    expect(auditWarnings(status, [])).toEqual([
      'The audit log cannot be written: Cannot write the audit log in /x (ENOSPC: no space left on device)',
      '2 audit records could not be written (the disk failed for too long) and are lost.',
      '5 audit records were deleted by the size limit before they were shipped.',
    ]);
  });
});

import fs from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createOtlpLogSink, createOutbox, openAuditLog } from '../../src-main/core/audit/index.ts';
import { recordHash } from '../../src-main/core/audit/canonical.ts';
import { attributeMap, echoCallWithSecrets, simpleCall, tempDir, TestOtlpCollector, waitFor } from './support.ts';

describe('audit outbox to an OpenTelemetry collector (OTLP/HTTP logs)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('exports each record as one log record the collector can decode, with its attributes, through the collector being down', async () => {
    const dir = await tempDir();
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const collector = await new TestOtlpCollector().start();
    cleanup.push(() => collector.stop());
    const log = await openAuditLog({ dir });
    cleanup.push(() => log.close());
    const outbox = await createOutbox({
      log,
      sink: createOtlpLogSink({
        url: collector.url,
        headers: async () => ({ authorization: 'Bearer collector-token' }),
        resourceAttributes: { 'host.name': 'laptop-42' },
        timeoutMs: 1000,
      }),
      startAt: 'start',
      backoff: { initialMs: 30, maxMs: 150 },
      batchRecords: 20,
    });
    cleanup.push(() => outbox.stop());

    const appended = [
      log.append(echoCallWithSecrets()),
      log.append(
        echoCallWithSecrets({ outcome: 'denied', denyRule: 'no-echo', error: 'Denied by policy rule no-echo' }),
      ),
      ...Array.from({ length: 48 }, (_, i) =>
        log.append(simpleCall(i, { outcome: i % 10 === 0 ? 'upstream_error' : 'ok' })),
      ),
    ];
    await outbox.drain();
    expect(collector.exports.length).toBeGreaterThanOrEqual(3);
    expect(collector.exports[0]!.headers.authorization).toBe('Bearer collector-token');
    expect(collector.auditRecords).toEqual(appended);
    for (const record of collector.auditRecords) expect(recordHash(record)).toBe(record.hash);

    const [first, denied] = collector.logRecords;
    expect(first!.resource).toMatchObject({ 'service.name': 'gatehouse', 'host.name': 'laptop-42' });
    expect(first!.record).toMatchObject({
      eventName: 'gatehouse.audit.request',
      severityText: 'INFO',
      severityNumber: 9,
    });
    expect(BigInt(first!.record.timeUnixNano!)).toBe(BigInt(Date.parse(appended[0]!.startedAt)) * 1_000_000n);
    expect(attributeMap(first!.record.attributes)).toMatchObject({
      'gatehouse.audit.id': appended[0]!.id,
      'gatehouse.audit.outcome': 'ok',
      'gatehouse.audit.server': 'everything',
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'echo',
      'mcp.session.id': 'f3c1d2a4-session',
      'enduser.id': 'alice',
      'gatehouse.client.name': 'claude-ai',
      'gatehouse.policy.version': '2025-06-01.3',
    });
    expect(denied!.record.severityText).toBe('WARN');
    expect(attributeMap(denied!.record.attributes)).toMatchObject({
      'gatehouse.audit.deny_rule': 'no-echo',
      'error.type': 'denied',
    });

    await collector.stop();
    const later = Array.from({ length: 10 }, (_, i) => log.append(simpleCall(i)));
    await log.flush();
    await waitFor(() => outbox.status().failures >= 2, 15_000, 'failed exports while the collector is down');
    await collector.start();
    outbox.retryNow();
    await outbox.drain();
    const ids = new Set(collector.auditRecords.map((record) => record.id));
    for (const record of later) expect(ids.has(record.id)).toBe(true);
    expect(ids.size).toBe(appended.length + later.length);
  });
});

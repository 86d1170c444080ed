import fs from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditMetrics, AuditStats } from '../../src-main/core/audit/index.ts';
import { openAuditLog } from '../../src-main/core/audit/index.ts';
import { simpleCall, tempDir } from './support.ts';

const T0 = Date.parse('2025-05-01T12:00:00Z');
const MINUTE = 60_000;

describe('audit metrics', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
  });

  it('counts calls, errors and denials per server and tool with latency percentiles over the hour and day, and rebuilds them on open', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    let now = T0;
    const log = await openAuditLog({ dir, now: () => now });
    // Three hours ago (inside the day, outside the hour): 10 slow calls to github/search.
    for (let i = 0; i < 10; i++) {
      log.append(simpleCall(i, { startedAt: T0 - 3 * 60 * MINUTE, server: 'github', name: 'search', totalMs: 2000 }));
    }
    // Two days ago: outside both windows.
    log.append(simpleCall(0, { startedAt: T0 - 2 * 24 * 60 * MINUTE, server: 'github', name: 'search', totalMs: 1 }));
    // The last hour: everything/echo with latencies 1..100 ms, 5 tool errors, 3 timeouts, 7 denials.
    for (let ms = 1; ms <= 100; ms++) {
      log.append(simpleCall(ms, { startedAt: T0 - 30 * MINUTE, server: 'everything', name: 'echo', totalMs: ms }));
    }
    for (let i = 0; i < 5; i++)
      log.append(
        simpleCall(i, {
          startedAt: T0 - MINUTE,
          server: 'everything',
          name: 'echo',
          outcome: 'tool_error',
          totalMs: 50,
        }),
      );
    for (let i = 0; i < 3; i++)
      log.append(
        simpleCall(i, { startedAt: T0 - MINUTE, server: 'everything', name: 'echo', outcome: 'timeout', totalMs: 50 }),
      );
    for (let i = 0; i < 7; i++)
      log.append(
        simpleCall(i, { startedAt: T0 - MINUTE, server: 'everything', name: 'echo', outcome: 'denied', totalMs: 0 }),
      );
    log.append(
      simpleCall(0, {
        startedAt: T0 - 2 * MINUTE,
        server: 'everything',
        method: 'tools/list',
        name: undefined,
        totalMs: 3,
      }),
    );

    const metrics: AuditMetrics = log.metrics();
    const echo = metrics.hour.servers
      .find((s) => s.server === 'everything')!
      .tools.find((t) => t.name === 'echo')!.stats;
    expect(echo).toMatchObject({ calls: 115, errors: 8, denials: 7 });
    expectNear(echo.p50Ms, 50);
    expectNear(echo.p95Ms, 95);
    expectNear(echo.p99Ms, 99);
    expect(metrics.hour.servers.find((s) => s.server === 'everything')!.tools.map((t) => t.name)).toEqual([
      'echo',
      'tools/list',
    ]);
    expect(metrics.hour.servers.find((s) => s.server === 'github')).toBeUndefined();
    const search = metrics.day.servers.find((s) => s.server === 'github')!.tools[0]!;
    expect(search).toMatchObject({ name: 'search', stats: { calls: 10, errors: 0, denials: 0 } });
    expectNear(search.stats.p50Ms, 2000);
    expect(metrics.day.total.calls).toBe(126);
    expect(metrics.hour.total.calls).toBe(116);
    expect(metrics.hour.since).toBe(new Date(T0 - 59 * MINUTE).toISOString());

    await log.close();
    const reopened = await openAuditLog({ dir, now: () => now });
    try {
      expect(reopened.metrics()).toEqual(metrics);
      now = T0 + 2 * 60 * MINUTE;
      expect(reopened.metrics().hour.total.calls).toBe(0);
      expect(reopened.metrics().day.total.calls).toBe(126);
    } finally {
      await reopened.close();
    }
  });

  it('reports no percentiles without calls', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const log = await openAuditLog({ dir });
    try {
      const empty: AuditStats = { calls: 0, errors: 0, denials: 0, p50Ms: null, p95Ms: null, p99Ms: null };
      expect(log.metrics().hour.total).toEqual(empty);
      expect(log.metrics().day.servers).toEqual([]);
    } finally {
      await log.close();
    }
  });
});

/** The histogram has 4 % buckets and reports a bucket's upper edge. */
function expectNear(actual: number | null, want: number): void {
  expect(actual).not.toBeNull();
  expect(actual!).toBeGreaterThanOrEqual(want * 0.99);
  expect(actual!).toBeLessThanOrEqual(want * 1.05);
}

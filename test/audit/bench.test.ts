import { describe, expect, it } from 'vitest';
import { runAuditBench } from '../../bench/audit.ts';

// Keeps bench/audit.ts working between benchmark runs: a tiny run, figures checked for sense only
// (targets are judged by the real run on a quiet machine, not here).
describe('audit bench (smoke)', () => {
  it('measures writes, append cost and every query shape on a small log', async () => {
    const result = await runAuditBench({ records: 3000, writeSeconds: 0.3, queryRuns: 2, progress: () => undefined });
    expect(result.write.records).toBeGreaterThan(0);
    expect(result.write.recordsPerSecond).toBeGreaterThan(0);
    expect(result.append.meanUs).toBeGreaterThan(0);
    expect(result.generate).toMatchObject({ records: 3000 });
    expect(result.queries.map((query) => query.name)).toContain('tool + 3-day range');
    expect(result.queries.find((query) => query.name.startsWith('no match'))!.matched).toBe(0);
    expect(result.queries.find((query) => query.name === 'newest page, no filter')!.matched).toBe(100);
    expect(result.toolAndTimeMs).toBeGreaterThan(0);
  });
});

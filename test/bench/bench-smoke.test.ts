// The benchmark runs end to end in quick mode and reports every figure. Timing is not asserted
// (a loaded CI machine would make that flaky); that the machinery measures something is.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NODE = existsSync(path.join(REPO_ROOT, 'node_modules/.bin/node'))
  ? path.join(REPO_ROOT, 'node_modules/.bin/node')
  : process.execPath;

type BenchReport = {
  mode: string;
  figures: Record<string, unknown>;
  verdicts: Record<string, { must: unknown; goal: unknown }>;
};

function runBench(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['bench/run.ts'], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), 110_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('bench quick mode prints a table and a JSON line with every figure measured', { timeout: 120_000 }, async () => {
  // Quick mode, trimmed further: this proves the machinery, the figures of a real run come from `npm run bench`.
  const run = await runBench({
    BENCH_QUICK: '1',
    BENCH_ROUNDS: '2',
    BENCH_WARMUP_CALLS: '20',
    BENCH_THROUGHPUT_SECONDS: '0.5',
    BENCH_CONNECT_ROUNDS: '2',
    BENCH_IDLE_SETTLE_MS: '200',
    BENCH_SLOW_START_MS: '1500',
  });
  expect(run.code, run.stderr).toBe(0);

  const lines = run.stdout.trim().split('\n');
  expect(lines.some((l) => l.startsWith('figure') && l.includes('gateway'))).toBe(true);
  expect(lines.some((l) => l.startsWith('floor: TCP relay, 100 KB result p50'))).toBe(true);
  const report = JSON.parse(lines.at(-1)!) as BenchReport;
  expect(report.mode).toBe('quick');

  const expected = [
    'smallDirectP50Ms',
    'smallServerP50Ms',
    'smallAggregateP50Ms',
    'addedServerP50Ms',
    'addedAggregateP50Ms',
    'addedServerP99Ms',
    'bigServerRatioP50',
    'bigAggregateRatioP50',
    'throughputDirectCps',
    'throughputServerRatio',
    'throughputAggregateRatio',
    'connectDirectP50Ms',
    'connectServerP50Ms',
    'cpuPerSmallCallServerMs',
    'cpuPerSmallCallAggregateMs',
    'rssIdleMib',
    'rssAfterLoadMib',
    'startToReadyMs',
    'firstToolsListSlowUpstreamMs',
    // The floor: the same figures through a logic-free TCP relay (bench/tcp-relay.ts).
    'addedRelayP50Ms',
    'bigRelayRatioP50',
    'throughputRelayRatio',
  ];
  for (const key of expected) expect(report.figures, key).toHaveProperty(key);
  for (const [key, value] of Object.entries(report.figures)) {
    expect(typeof value, key).toBe('number');
    // Added latency and the audit's share of it are differences of two noisy measurements: finite,
    // but their sign is not guaranteed in a short run on a busy machine.
    if (key.startsWith('added') || key === 'auditShareOfOverhead') expect(Number.isFinite(value), key).toBe(true);
    else expect(value as number, key).toBeGreaterThan(0);
  }
  for (const [key, verdict] of Object.entries(report.verdicts)) {
    expect(typeof verdict.must, key).toBe('boolean');
    expect(typeof verdict.goal, key).toBe('boolean');
  }
});

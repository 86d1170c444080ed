// The end-to-end revocation bench runs (3 runs) and reports what it measured. Timing is not
// asserted (a loaded CI machine would make that flaky); that every run measured a refusal is.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = existsSync(path.join(REPO_ROOT, 'node_modules/.bin/node'))
  ? path.join(REPO_ROOT, 'node_modules/.bin/node')
  : process.execPath;

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['bench/revocation-e2e.ts', ...args], { cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), 80_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test(
  'the gateway revocation bench measures one refusal per run and prints a JSON line',
  { timeout: 90_000 },
  async () => {
    const run = await runBench(['--runs', '3']);
    expect(run.code, run.stderr).toBe(0);

    const lines = run.stdout.trim().split('\n');
    expect(lines.some((l) => l.includes('first refused tool call'))).toBe(true);
    const report = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(report).toMatchObject({ bench: 'policy-revocation', stage: 'gateway', runs: 3, unit: 'ms', otherErrors: 0 });
    const delays = report.delaysMs as number[];
    expect(delays).toHaveLength(3);
    for (const delay of delays) expect(delay).toBeGreaterThan(0);
    for (const key of ['p50', 'p95', 'max', 'min']) expect(report[key]).toBeGreaterThan(0);
    expect(report.max).toBe(Math.max(...delays));
    // Each run made at least the one call that was refused.
    expect(report.calls).toBeGreaterThanOrEqual(3);
  },
);

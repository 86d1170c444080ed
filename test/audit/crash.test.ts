import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src-main/core/audit/index.ts';
import { openAuditLog } from '../../src-main/core/audit/index.ts';
import { NODE, tempDir } from './support.ts';

const WRITER = path.join(import.meta.dirname, 'fixtures', 'burst-writer.ts');

describe('audit log after kill -9', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
  });

  /** Runs the writer until `killAfter` records are reported flushed, then SIGKILLs it mid-burst. */
  async function writeAndKill(dir: string, killAfter: number): Promise<number> {
    const child = spawn(NODE, [WRITER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let flushed = 0;
    let killing = false;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        let buffered = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop()!;
          if (!killing) for (const line of lines) flushed = Math.max(flushed, Number(line.split(' ')[1]));
          if (flushed >= killAfter && !killing) {
            killing = true;
            // The writer keeps appending (1 MiB writes) until the signal: the kill lands at an
            // arbitrary point, sometimes in the middle of a write.
            setTimeout(() => {
              child.kill('SIGKILL');
              resolve();
            }, Math.random() * 40);
          }
        });
        child.once('exit', (code, signal) => {
          if (signal !== 'SIGKILL') reject(new Error(`writer exited early (${code}): ${stderr}`));
        });
        child.once('error', reject);
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }
    if (child.exitCode === null && child.signalCode === null)
      await new Promise((resolve) => child.once('exit', resolve));
    return flushed;
  }

  it(
    'keeps every flushed record, verifies, and the next append continues the chain (twice over)',
    { timeout: 60_000 },
    async () => {
      const dir = await tempDir();
      dirs.push(dir);
      let expectedAtLeast = 0;
      for (const round of [1, 2]) {
        const flushed = await writeAndKill(dir, 1500 * round);
        const log = await openAuditLog({ dir });
        try {
          const records: AuditRecord[] = [];
          for await (const record of log.records()) records.push(record);
          // The second writer restarted its sequence numbers at 0: check each run's records in order.
          const runs = splitRuns(records);
          const lastRun = runs.at(-1)!;
          expect(lastRun.length).toBeGreaterThanOrEqual(flushed);
          expect(lastRun.slice(0, flushed)).toEqual(Array.from({ length: flushed }, (_, i) => i));
          expect(records.length).toBeGreaterThanOrEqual(expectedAtLeast + flushed);

          const verified = await log.verify();
          expect(verified).toMatchObject({ ok: true, records: records.length, unfinishedTail: false });
          const next = log.append({ startedAt: Date.now(), server: 'everything', method: 'tools/list', outcome: 'ok' });
          expect(next.prevHash).toBe(records.at(-1)!.hash);
          expect((await log.verify()).ok).toBe(true);
          expectedAtLeast = records.length + 1;
        } finally {
          await log.close();
        }
      }
    },
  );
});

function splitRuns(records: AuditRecord[]): number[][] {
  const runs: number[][] = [];
  for (const record of records) {
    const seq = (record.params as { arguments?: { seq?: number } } | undefined)?.arguments?.seq;
    if (seq === undefined) continue;
    if (seq === 0 || runs.length === 0) runs.push([]);
    runs.at(-1)!.push(seq);
  }
  return runs;
}

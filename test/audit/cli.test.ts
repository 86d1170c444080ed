import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src-main/core/audit/index.ts';
import { auditDirIn, openAuditLog } from '../../src-main/core/audit/index.ts';
import { NODE, ROOT, simpleCall, tempDir, waitFor } from './support.ts';

const run = promisify(execFile);
const CLI = path.join(ROOT, 'src-main/cli/main.ts');

async function gatehouse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(NODE, [CLI, 'audit', ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('gatehouse audit', () => {
  let dataDir: string;
  let records: AuditRecord[];

  beforeEach(async () => {
    dataDir = await tempDir();
    const log = await openAuditLog({ dir: auditDirIn(dataDir) });
    records = [];
    for (let i = 0; i < 30; i++) {
      records.push(
        log.append(
          simpleCall(i, {
            outcome: i === 7 ? 'denied' : 'ok',
            ...(i === 7 ? { denyRule: 'no-github-writes', error: 'Denied by policy' } : {}),
          }),
        ),
      );
    }
    await log.close();
  });
  afterEach(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('tail prints the newest records, oldest of them first', async () => {
    const { code, stdout } = await gatehouse('tail', '-n', '3', '--data-dir', dataDir);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/ ok +5ms {2}everything {2}tools\/call tool-4 {2}cursor$/);
    expect(lines[0]).toContain(records[27]!.startedAt.replace('T', ' ').replace('Z', ''));
  });

  it('query filters and prints JSON, CSV or a table with the denial rule', async () => {
    const json = await gatehouse('query', '--server', 'github', '--tool', 'tool-3', '--json', '--data-dir', dataDir);
    expect(json.code).toBe(0);
    const ids = json.stdout
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as AuditRecord).id);
    expect(ids).toEqual(
      records
        .filter((r) => r.server === 'github' && r.name === 'tool-3')
        .map((r) => r.id)
        .reverse(),
    );

    const table = await gatehouse('query', '--outcome', 'denied', '--since', '1h', '--data-dir', dataDir);
    expect(table.stdout).toMatch(/denied .* rule no-github-writes: Denied by policy/);

    const csv = await gatehouse('query', '--limit', '2', '--csv', '--data-dir', dataDir);
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^id,startedAt,endedAt,server,/);
    expect(csv.stderr).toMatch(/More records: add --cursor \S+/);
    const cursor = /--cursor (\S+)/.exec(csv.stderr)![1]!;
    const next = await gatehouse('query', '--limit', '2', '--json', '--cursor', cursor, '--data-dir', dataDir);
    expect(
      next.stdout
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as AuditRecord).id),
    ).toEqual([records[27]!.id, records[26]!.id]);
  });

  it('verify passes on an intact log and names the first broken link of a tampered one', async () => {
    const ok = await gatehouse('verify', '--data-dir', dataDir);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toMatch(/^OK: 30 records in 1 segment\(s\), hash chain intact\./);

    const file = path.join(auditDirIn(dataDir), 'audit-00000001.jsonl');
    const lines = (await fs.readFile(file, 'utf8')).split('\n');
    lines[7] = lines[7]!.replace('"outcome":"denied"', '"outcome":"ok"');
    await fs.writeFile(file, lines.join('\n'));
    const broken = await gatehouse('verify', '--data-dir', dataDir);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`BROKEN: audit-00000001.jsonl line 8 (record ${records[7]!.id}): hash-mismatch`);
  });

  it('export writes JSON Lines or CSV to a file', async () => {
    const out = path.join(dataDir, 'export.csv');
    const csv = await gatehouse('export', '--format', 'csv', '--server', 'github', '--out', out, '--data-dir', dataDir);
    expect(csv.code).toBe(0);
    expect(csv.stderr).toBe('Exported 10 records to ' + out + '.\n');
    expect((await fs.readFile(out, 'utf8')).split('\r\n').filter(Boolean)).toHaveLength(11);
    const jsonl = await gatehouse('export', '--data-dir', dataDir);
    expect(
      jsonl.stdout
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as AuditRecord).id),
    ).toEqual(records.map((r) => r.id));
  });

  it('explains a bad option and an empty data dir', async () => {
    expect(await gatehouse('query', '--outcome', 'maybe', '--data-dir', dataDir)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--outcome must be one of ok, /),
    });
    expect(await gatehouse('query', '--since', 'yesterday', '--data-dir', dataDir)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/duration such as 15m/),
    });
    const empty = await tempDir();
    try {
      expect(await gatehouse('query', '--data-dir', empty)).toMatchObject({
        code: 0,
        stdout: '',
        stderr: 'No matching audit records.\n',
      });
      expect((await gatehouse('verify', '--data-dir', empty)).stdout).toMatch(/^OK: 0 records/);
      await expect(fs.readdir(empty)).resolves.toEqual([]);
    } finally {
      await fs.rm(empty, { recursive: true, force: true });
    }
  });

  it('schema prints the published JSON Schema', async () => {
    const { stdout } = await gatehouse('schema');
    const committed = JSON.parse(await fs.readFile(path.join(ROOT, 'docs/schema/audit-record.schema.json'), 'utf8'));
    expect(JSON.parse(stdout)).toEqual(committed);
  });

  it('tail --follow prints records the gateway appends while it runs', async () => {
    const child = spawn(
      NODE,
      [CLI, 'audit', 'tail', '-n', '1', '--follow', '--tool', 'live-tool', '--data-dir', dataDir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const log = await openAuditLog({ dir: auditDirIn(dataDir) });
    try {
      // Give the follower time to start polling before anything new arrives.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      log.append(simpleCall(1, { name: 'other-tool' }));
      log.append(simpleCall(2, { name: 'live-tool', server: 'memory' }));
      await log.flush();
      await waitFor(() => stdout.includes('live-tool'), 15_000, 'the follower to print the new record');
      expect(stdout).not.toContain('other-tool');
      expect(stdout).toMatch(/memory {2}tools\/call live-tool/);
    } finally {
      await log.close();
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
    }
    expect(child.exitCode).toBe(0);
  });
});

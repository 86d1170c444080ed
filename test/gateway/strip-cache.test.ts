import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { stripTypeScriptTypes } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(REPO, 'bin', 'gatehouse.js');

describe('bin/strip-cache.js (npx gatehouse loads type-stripped sources from a disk cache)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gatehouse-strip-cache-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const gatehouse = (...args: string[]) =>
    run(process.execPath, [BIN, ...args], { env: { ...process.env, GATEHOUSE_STRIP_CACHE_DIR: dir }, cwd: REPO });

  it('fills the cache on the first run with exactly what Node strips, and runs from it on the next', async () => {
    const first = await gatehouse('serve', '--help');
    expect(first.stdout).toContain('Usage: gatehouse serve');
    expect(first.stderr).toBe(''); // no ExperimentalWarning from the stripping API
    const files = await fs.readdir(dir);
    expect(files.length).toBeGreaterThan(50);

    const source = await fs.readFile(path.join(REPO, 'src-main', 'cli', 'main.ts'), 'utf8');
    const cached = await Promise.all(files.map((f) => fs.readFile(path.join(dir, f), 'utf8')));
    expect(cached).toContain(stripTypeScriptTypes(source, { mode: 'strip' }));

    const second = await gatehouse('serve', '--help');
    expect(second.stdout).toBe(first.stdout);
    expect(await fs.readdir(dir)).toEqual(files);
  });

  it('still runs when the cache cannot be written', async () => {
    const blocked = path.join(dir, 'not-a-dir');
    await fs.writeFile(blocked, '');
    const { stdout } = await run(process.execPath, [BIN, 'serve', '--help'], {
      env: { ...process.env, GATEHOUSE_STRIP_CACHE_DIR: blocked },
      cwd: REPO,
    });
    expect(stdout).toContain('Usage: gatehouse serve');
  });
});

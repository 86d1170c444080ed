import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultDemoDataDir } from '../../src-main/demo/index.ts';
import { demoLayout, prepareDemoFiles } from '../../src-main/demo/demo-files.ts';
import { NODE, ROOT, tempDir } from '../support/gateway-harness.ts';

const run = promisify(execFile);
const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length) await fs.rm(dirs.pop()!, { recursive: true, force: true });
});

describe('the demo folder', () => {
  it('is per user under the OS temp dir by default, not the real data dir', () => {
    expect(path.dirname(defaultDemoDataDir())).toBe(os.tmpdir());
    expect(path.basename(defaultDemoDataDir())).toMatch(/^gatehouse-demo-[\w.-]+$/);
  });

  it('is private to the user and keeps the sandbox files a person edited', async () => {
    const dir = await tempDir('gatehouse-demo-files-');
    dirs.push(dir);
    const layout = demoLayout(path.join(dir, 'demo'));
    await prepareDemoFiles(layout);
    if (process.platform !== 'win32') expect((await fs.stat(layout.dataDir)).mode & 0o777).toBe(0o700);
    const readme = path.join(layout.sandboxDir, 'README.md');
    await fs.writeFile(readme, 'mine');
    await prepareDemoFiles(layout);
    expect(await fs.readFile(readme, 'utf8')).toBe('mine');
    expect(await fs.readdir(path.join(layout.sandboxDir, 'notes'))).toEqual(['launch-plan.md']);
  });

  it('refuses a data dir that is a symlink (someone else may have planted it in a shared temp dir)', async () => {
    const dir = await tempDir('gatehouse-demo-files-');
    dirs.push(dir);
    await fs.mkdir(path.join(dir, 'elsewhere'));
    await fs.symlink(path.join(dir, 'elsewhere'), path.join(dir, 'demo'));
    await expect(prepareDemoFiles(demoLayout(path.join(dir, 'demo')))).rejects.toThrow(/not a folder of yours/);
  });
});

describe('gatehouse serve --demo refuses what does not fit the demo', () => {
  const serve = (...args: string[]) =>
    run(NODE, [path.join(ROOT, 'bin', 'gatehouse.js'), 'serve', ...args]).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );

  it('an unknown demo user', async () => {
    const dir = await tempDir('gatehouse-demo-files-');
    dirs.push(dir);
    const result = await serve('--demo', '--demo-user', 'mallory', '--data-dir', dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no demo user 'mallory'; pick one of alice, bob, carol/);
  });

  it('--config (the demo brings its own servers), and demo options without --demo', async () => {
    expect(await serve('--demo', '--config', 'servers.json')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--config cannot be used with --demo/),
    });
    expect(await serve('--demo-user', 'bob')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/go with --demo/),
    });
  });
});

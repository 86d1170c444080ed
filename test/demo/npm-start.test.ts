import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/gateway-harness.ts';
import { startDemoProcess, type DemoProcess } from './demo-process.ts';

// `npm start` runs `node scripts/start.ts`; without a display Electron cannot start (Linux), so it
// falls back to the headless demo org and the window in the browser.
describe.runIf(process.platform === 'linux')('npm start from a checkout, headless', () => {
  let demo: DemoProcess | undefined;
  let dataDir: string;

  afterAll(async () => {
    await demo?.stop('SIGKILL');
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('builds the window if needed, runs the demo org, and serves the window at the printed link; Ctrl-C stops it all', async () => {
    dataDir = await tempDir('gatehouse-npm-start-');
    const env = { PATH: process.env.PATH, HOME: dataDir };
    // Vite may have to build the window first on a fresh checkout.
    demo = await startDemoProcess(['--data-dir', dataDir, '--no-browser'], env, {
      command: [path.join(ROOT, 'scripts', 'start.ts')],
      readyMs: 180_000,
    });
    expect(demo.printout.dataDir).toBe(dataDir);
    const page = await fetch(new URL(demo.printout.window));
    expect(page.status).toBe(200);
    const script = /<script[^>]+src="([^"]+)"/.exec(await page.text())?.[1];
    expect(script).toMatch(/assets\/.+\.js$/);
    const bundle = await fetch(new URL(script!, demo.printout.window));
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);

    const pids = [...demo.descendants()];
    expect(pids.length).toBeGreaterThanOrEqual(3); // gatehouse serve --demo and its stdio servers
    // The terminal's Ctrl-C reaches npm start, which passes it on.
    expect(await demo.stop('SIGINT')).toBe(0);
    expect(demo.stillRunning()).toEqual([]);
  }, 240_000);
});

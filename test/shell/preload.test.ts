// The preload as Electron loads it: the single CommonJS file `vite build --mode preload` makes,
// run in a fresh VM context whose `require('electron')` records what the preload exposes and sends.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/renderer-build.ts';
import { apiMethodNames, IPC_EVENT_CHANNEL, ipcChannels } from '../../src-main/core/api/index.ts';

let outDir: string;
let code: string;

beforeAll(async () => {
  outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'gatehouse-preload-'));
  await build({
    configFile: path.join(repoRoot, 'vite.config.ts'),
    mode: 'preload',
    logLevel: 'silent',
    build: { outDir },
  });
  code = await fs.readFile(path.join(outDir, 'preload.cjs'), 'utf8');
}, 60_000);

afterAll(async () => {
  await fs.rm(outDir, { recursive: true, force: true });
});

function loadPreload() {
  const exposed = new Map<string, Record<string, unknown>>();
  const invoked: [string, unknown][] = [];
  const listeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.set(key, api) },
    ipcRenderer: {
      invoke: async (channel: string, input: unknown) => (invoked.push([channel, input]), { ok: true, value: channel }),
      on: (channel: string, fn: (event: unknown, payload: unknown) => void) =>
        void (listeners.get(channel) ?? listeners.set(channel, new Set()).get(channel)!).add(fn),
      removeListener: (channel: string, fn: (event: unknown, payload: unknown) => void) =>
        void listeners.get(channel)?.delete(fn),
    },
  };
  // A sandboxed preload can require only a few modules; this one must need nothing but electron.
  const required: string[] = [];
  const require = (name: string) => (required.push(name), name === 'electron' ? electron : undefined);
  const module = { exports: {} };
  vm.runInNewContext(code, { require, module, exports: module.exports, queueMicrotask, console });
  return { exposed, invoked, listeners, required };
}

describe('the preload bridge', () => {
  it('exposes exactly the contract methods plus subscribe, as window.gatehouse, needing only electron', () => {
    const { exposed, required } = loadPreload();
    expect([...exposed.keys()]).toEqual(['gatehouse']);
    expect(Object.keys(exposed.get('gatehouse')!).sort()).toEqual([...apiMethodNames, 'subscribe'].sort());
    expect(new Set(required)).toEqual(new Set(['electron']));
  });

  it('invokes the channel derived from the method name with the input', async () => {
    const { exposed, invoked } = loadPreload();
    const bridge = exposed.get('gatehouse') as Record<string, (input?: unknown) => Promise<unknown>>;
    await bridge.setServerEnabled!({ name: 'memory', enabled: false });
    await bridge.getStatus!();
    expect(invoked).toEqual([
      [ipcChannels.setServerEnabled, { name: 'memory', enabled: false }],
      [ipcChannels.getStatus, undefined],
    ]);
  });

  it('delivers live events to subscribers until they unsubscribe', () => {
    const { exposed, listeners } = loadPreload();
    const bridge = exposed.get('gatehouse') as { subscribe(fn: (e: unknown) => void): () => void };
    const seen: unknown[] = [];
    const stop = bridge.subscribe((e) => seen.push(e));
    for (const fn of listeners.get(IPC_EVENT_CHANNEL)!) fn({}, { type: 'changed', topic: 'servers' });
    stop();
    expect(listeners.get(IPC_EVENT_CHANNEL)!.size).toBe(0);
    expect(seen).toEqual([{ type: 'changed', topic: 'servers' }]);
  });
});

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { tempHome, type TempHome } from './support/temp-home.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
const BIN = path.join(ROOT, 'bin', 'gatehouse.js');

let home: TempHome | undefined;
afterEach(async () => {
  await home?.close();
  home = undefined;
});

async function gatehouse(h: TempHome, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, HOME: h.home, XDG_CONFIG_HOME: '' };
  try {
    const { stdout, stderr } = await promisify(execFile)(NODE, [BIN, 'clients', ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

it('lists clients as JSON, connects, reports status, and disconnects', async () => {
  home = await tempHome('linux');
  await fs.mkdir(path.join(home.home, '.cursor'));
  const list = await gatehouse(home, 'list', '--json');
  expect(list.code).toBe(0);
  const statuses = JSON.parse(list.stdout) as { id: string; state: string }[];
  expect(statuses).toHaveLength(13);
  expect(statuses.find((s) => s.id === 'cursor')?.state).toBe('not-connected');

  const dry = await gatehouse(home, 'connect', 'cursor', '--dry-run');
  expect(dry.stdout).toContain('+        "Authorization": "Bearer <new token>"');
  await expect(fs.access(path.join(home.home, '.cursor', 'mcp.json'))).rejects.toThrow();

  const connect = await gatehouse(home, 'connect', 'cursor');
  expect(connect.stdout).toMatch(
    /^Connected cursor: updated ~\/\.cursor\/mcp\.json\.\nNext: Cursor picks the change up/,
  );
  const status = await gatehouse(home, 'status', 'cursor', '--port', '7500');
  expect(status.stdout).toContain('cursor  drifted  ~/.cursor/mcp.json');
  expect(status.stdout).toContain('- stale port: the entry uses 7391, Gatehouse listens on 7500');
  expect(status.stdout).toContain('repair: gatehouse clients connect cursor');

  const disconnect = await gatehouse(home, 'disconnect', 'cursor');
  expect(disconnect.stdout).toContain('Disconnected cursor: restored the original ~/.cursor/mcp.json');
  await expect(fs.access(path.join(home.home, '.cursor', 'mcp.json'))).rejects.toThrow();
});

it('exits 1 with the reason for a broken file, and 2 for an unknown client', async () => {
  home = await tempHome('linux');
  await fs.mkdir(path.join(home.home, '.gemini'));
  await fs.writeFile(path.join(home.home, '.gemini', 'settings.json'), '{ "mcpServers": { ');
  const broken = await gatehouse(home, 'connect', 'gemini');
  expect(broken.code).toBe(1);
  expect(broken.stderr).toMatch(
    /settings\.json is not valid JSONC \(line 1, column \d+: .*\)\. Gatehouse did not change it\./,
  );
  const unknown = await gatehouse(home, 'connect', 'notepad');
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain("Unknown client 'notepad'");
});

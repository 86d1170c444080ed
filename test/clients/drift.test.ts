import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientConnections, localTokenDeps } from '../../src-main/core/clients/index.ts';
import { LocalTokenStore } from '../../src-main/core/tokens/index.ts';
import { LAYOUTS, tempHome, TEST_LAUNCHER, type TempHome } from './support/temp-home.ts';

let home: TempHome | undefined;
afterEach(async () => {
  await home?.close();
  home = undefined;
});

function connectionsFor(h: TempHome, extra: { port?: number; launcher?: typeof TEST_LAUNCHER } = {}) {
  return new ClientConnections({
    host: h.host,
    dataDir: h.dataDir,
    ...localTokenDeps(h.dataDir),
    bridgeLauncher: extra.launcher ?? TEST_LAUNCHER,
    ...(extra.port ? { port: extra.port } : {}),
  });
}

async function editJson(
  file: string,
  change: (value: { mcpServers: Record<string, Record<string, unknown>> }) => void,
) {
  const value = JSON.parse(await fs.readFile(file, 'utf8'));
  change(value);
  await fs.writeFile(file, JSON.stringify(value, null, 2));
}

describe.each(LAYOUTS)('%s layout: states', (layout) => {
  it('goes not-installed -> not-connected -> connected -> drifted (entry removed) -> connected (repair)', async () => {
    home = await tempHome(layout);
    const connections = connectionsFor(home);
    expect((await connections.status('cursor')).state).toBe('not-installed');
    await fs.mkdir(path.join(home.home, '.cursor'));
    expect((await connections.status('cursor')).state).toBe('not-connected');
    const { file } = await connections.connect('cursor');
    expect(await connections.status('cursor')).toMatchObject({ state: 'connected', problems: [] });
    await editJson(file, (v) => delete v.mcpServers.gatehouse);
    const drifted = await connections.status('cursor');
    expect(drifted.state).toBe('drifted');
    expect(drifted.problems).toEqual([`the "gatehouse" entry was removed from ${file}`]);
    await connections.connect('cursor');
    expect((await connections.status('cursor')).state).toBe('connected');
  });
});

describe('drift reasons', () => {
  it('reports a stale port, and connect with the new port repairs it', async () => {
    home = await tempHome('linux');
    await connectionsFor(home).connect('windsurf');
    const moved = connectionsFor(home, { port: 7400 });
    expect(await moved.status('windsurf')).toMatchObject({
      state: 'drifted',
      problems: ['stale port: the entry uses 7391, Gatehouse listens on 7400'],
    });
    await moved.connect('windsurf');
    expect((await moved.status('windsurf')).state).toBe('connected');
  });

  it('reports a revoked token, and a token that belongs to another client', async () => {
    home = await tempHome('darwin');
    const connections = connectionsFor(home);
    const { file } = await connections.connect('cursor');
    const store = new LocalTokenStore(home.dataDir);
    await store.revoke('cursor');
    expect((await connections.status('cursor')).problems).toEqual([
      'its token was revoked or is unknown to this Gatehouse',
    ]);
    const vscodeToken = await store.getOrCreate('vscode');
    await editJson(
      file,
      (v) => ((v.mcpServers.gatehouse!.headers as Record<string, string>).Authorization = `Bearer ${vscodeToken}`),
    );
    expect((await connections.status('cursor')).problems).toEqual(["its token belongs to 'vscode', not to cursor"]);
    await connections.connect('cursor');
    expect((await connections.status('cursor')).state).toBe('connected');
    // A fresh token was minted for cursor; the one in the file is cursor's own again.
    const inFile = JSON.parse(await fs.readFile(file, 'utf8')).mcpServers.gatehouse.headers.Authorization;
    expect(inFile).toBe(`Bearer ${await store.getOrCreate('cursor')}`);
  });

  it('reports a wrong URL and a missing header', async () => {
    home = await tempHome('win32');
    const connections = connectionsFor(home);
    const { file } = await connections.connect('kiro');
    await editJson(file, (v) => {
      v.mcpServers.gatehouse!.url = 'http://localhost:7391/other';
      delete v.mcpServers.gatehouse!.headers;
    });
    expect((await connections.status('kiro')).problems).toEqual([
      'the entry has no "Authorization: Bearer" header',
      '"url" points to http://localhost:7391/other, expected http://127.0.0.1:7391/mcp',
    ]);
  });

  it('ignores fields the user or the client added to our entry', async () => {
    home = await tempHome('linux');
    const connections = connectionsFor(home);
    const { file } = await connections.connect('kiro');
    await editJson(file, (v) => Object.assign(v.mcpServers.gatehouse!, { disabled: false, autoApprove: ['x'] }));
    expect((await connections.status('kiro')).state).toBe('connected');
  });

  it('reports a bridge whose command moved, or whose token was revoked', async () => {
    home = await tempHome('darwin');
    await connectionsFor(home).connect('claude-desktop');
    const moved = connectionsFor(home, { launcher: { command: '/new/node', args: ['/new/bin/gatehouse.js'] } });
    const status = await moved.status('claude-desktop');
    expect(status.state).toBe('drifted');
    expect(status.problems).toEqual([
      'the bridge command /opt/gatehouse/node no longer exists',
      '"args" is ["/opt/gatehouse/bin/gatehouse.js","bridge","--client","claude-desktop"], expected ["/new/bin/gatehouse.js","bridge","--client","claude-desktop"]',
    ]);
    const connections = connectionsFor(home);
    expect((await connections.status('claude-desktop')).state).toBe('connected');
    await new LocalTokenStore(home.dataDir).revoke('claude-desktop');
    expect((await connections.status('claude-desktop')).problems).toEqual([
      "the bridge has no token for 'claude-desktop' (revoked)",
    ]);
  });

  it('reports a file that stopped parsing as drifted with the reason', async () => {
    home = await tempHome('linux');
    const connections = connectionsFor(home);
    const { file } = await connections.connect('continue');
    await fs.appendFile(file, 'mcpServers: [broken\n');
    const status = await connections.status('continue');
    expect(status.state).toBe('drifted');
    expect(status.problems[0]).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid YAML`),
    );
  });
});

// "Try the demo org" as the app runs it, without Electron: the core entry the shell calls
// (startAppGateway), its stable API, the demo's stdio servers started through the app's own
// `demo-server` entry (runDemoServer), and the way back to the user's own setup on the same port.
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { GatewayEvent } from '../../src-main/core/api/index.ts';
import { createGateway } from '../../src-main/core/gateway/index.ts';
import { parseGatewayConfig } from '../../src-main/core/config/index.ts';
import { LocalTokenStore } from '../../src-main/core/tokens/index.ts';
import { startAppGateway, type AppGateway } from '../../src-main/demo/index.ts';
import { connect, freePort, NODE, ROOT, servers, tempDir, textOf } from '../support/gateway-harness.ts';
import { processesMentioning } from './demo-process.ts';

/** What the app's executable does with `demo-server <name> args…`, run by Node here. */
const DEMO_SERVER_ENTRY = [
  '--input-type=module',
  '-e',
  `const { runDemoServer } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'src-main/demo/demo-server.ts')).href)});
   await runDemoServer(process.argv[1], process.argv.slice(2));`,
];

describe('the app offers the demo org in place of its own setup', () => {
  let dataDir: string;
  let port: number;
  let app: AppGateway;
  const events: GatewayEvent[] = [];

  beforeAll(async () => {
    dataDir = await tempDir('gatehouse-app-demo-');
    port = await freePort();
    app = await startAppGateway({
      ownDataDir: dataDir,
      startOwn: (demo) =>
        createGateway({
          dataDir,
          port,
          servers: parseGatewayConfig({ mcpServers: { mine: servers.testUpstream() } }),
          orgUrl: { url: null, managed: false },
          demo,
        }),
      demo: {
        dataDir: path.join(dataDir, 'demo'),
        port,
        openSystemBrowser: false,
        serverLauncher: (server, args) => ({ command: NODE, args: [...DEMO_SERVER_ENTRY, server, ...args] }),
      },
    });
    app.api.subscribe((event) => events.push(event));
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function callWith(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
    return textOf(await client.callTool({ name, arguments: args }));
  }

  it('starts the demo on the same port, signed in, its servers running through the app entry, and comes back', async () => {
    const personal = await app.api.getStatus();
    expect(personal).toMatchObject({ mode: 'personal', demo: { available: true, active: false }, port });
    // The user's AI client, connected with the user's own token before the switch.
    const ownToken = await new LocalTokenStore(dataDir).getOrCreate('app-demo-test');
    let client = await connect(`http://127.0.0.1:${port}/mcp`, ownToken, { name: 'app-demo-test' });
    expect(await callWith(client, 'mine__echo', { message: 'mine' })).toBe('mine');
    await client.close();

    events.length = 0;
    await app.api.startDemo();
    expect(app.demoActive).toBe(true);
    const demo = await app.api.getStatus();
    expect(demo).toMatchObject({
      mode: 'org',
      org: { name: 'Demo Org' },
      user: { email: 'alice@example.test' },
      demo: { available: true, active: true },
      port,
    });
    // The window and the tray were told to refetch everything.
    expect(events).toContainEqual({ type: 'changed', topic: 'status' });
    expect(events).toContainEqual({ type: 'changed', topic: 'servers' });
    const states = Object.fromEntries((await app.api.listServers()).map((s) => [s.name, s.state]));
    expect(states).toMatchObject({ filesystem: 'ready', memory: 'ready', everything: 'ready' });

    // The same client token works on the demo, and the demo's stdio servers answer.
    client = await connect(`http://127.0.0.1:${port}/mcp`, ownToken, { name: 'app-demo-test' });
    expect(await callWith(client, 'everything__echo', { message: 'demo' })).toContain('demo');
    expect(
      await callWith(client, 'filesystem__list_directory', { path: path.join(dataDir, 'demo', 'demo-org', 'sandbox') }),
    ).toMatch(/notes/);
    await client.close();
    expect(processesMentioning(path.join(dataDir, 'demo'))).not.toEqual([]);

    await app.api.stopDemo();
    expect(app.demoActive).toBe(false);
    expect(await app.api.getStatus()).toMatchObject({ mode: 'personal', demo: { available: true, active: false } });
    client = await connect(`http://127.0.0.1:${port}/mcp`, ownToken, { name: 'app-demo-test' });
    expect(await callWith(client, 'mine__echo', { message: 'back' })).toBe('back');
    await client.close();
    // Leaving the demo stops every server it started.
    await expect.poll(() => processesMentioning(path.join(dataDir, 'demo')), { timeout: 10_000 }).toEqual([]);
  }, 120_000);
});

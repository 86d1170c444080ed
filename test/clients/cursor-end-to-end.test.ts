import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  freePort,
  NODE,
  ROOT,
  servers,
  startGateway,
  textOf,
  type RunningGateway,
} from '../support/gateway-harness.ts';
import { tempHome, type TempHome } from './support/temp-home.ts';

const run = promisify(execFile);
const BIN = path.join(ROOT, 'bin', 'gatehouse.js');
const INSPECTOR = path.join(ROOT, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');

let home: TempHome | undefined;
let gw: RunningGateway | undefined;
afterEach(async () => {
  await gw?.close();
  await home?.close();
  gw = undefined;
  home = undefined;
});

type CursorEntry = { url: string; headers: Record<string, string> };

// The "done when": `gatehouse clients connect cursor`, then a client that knows nothing but
// what ~/.cursor/mcp.json says lists the gateway's tools.
it('gatehouse clients connect cursor writes an entry that an MCP client can use as is', async () => {
  home = await tempHome('linux');
  const port = await freePort();
  gw = await startGateway({ everything: servers.everything() }, { dataDir: home.dataDir, port });
  await fs.mkdir(path.join(home.home, '.cursor'));

  const env = { ...process.env, HOME: home.home, XDG_CONFIG_HOME: '' };
  await run(NODE, [BIN, 'clients', 'connect', 'cursor', '--port', String(port), '--data-dir', home.dataDir], { env });
  const entry = JSON.parse(await fs.readFile(path.join(home.home, '.cursor', 'mcp.json'), 'utf8')).mcpServers
    .gatehouse as CursorEntry;
  expect(entry.url).toBe(`http://127.0.0.1:${port}/mcp`);

  const client = new Client({ name: 'cursor-stand-in', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(entry.url), { requestInit: { headers: entry.headers } }),
  );
  try {
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('everything__echo');
    expect(textOf(await client.callTool({ name: 'everything__echo', arguments: { message: 'cursor' } }))).toBe(
      'Echo: cursor',
    );
  } finally {
    await client.close();
  }

  // The same with the official MCP Inspector CLI, given only that URL and header.
  const [name, value] = Object.entries(entry.headers)[0]!;
  const { stdout } = await run(
    NODE,
    [INSPECTOR, '--cli', entry.url, '--header', `${name}: ${value}`, '--method', 'tools/list'],
    { timeout: 60_000 },
  );
  expect((JSON.parse(stdout) as { tools: { name: string }[] }).tools.map((t) => t.name)).toContain('everything__echo');

  const status = await run(
    NODE,
    [BIN, 'clients', 'status', 'cursor', '--port', String(port), '--data-dir', home.dataDir, '--json'],
    { env },
  );
  expect(JSON.parse(status.stdout)).toMatchObject({ id: 'cursor', state: 'connected', problems: [] });
});

// The real headless gateway, as `npm start` runs it where Electron cannot: `gatehouse serve` in a
// child process with its own temp HOME (so client configs are written there) and data dir, and
// real MCP servers (server-everything, server-memory) behind it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { WINDOW_CLIENT_ID, windowUrl } from '../../../src-main/core/api/index.ts';
import { LocalTokenStore } from '../../../src-main/core/tokens/index.ts';
import { NODE, ROOT, servers, tempDir } from '../../support/gateway-harness.ts';

export type HeadlessGateway = {
  origin: string;
  /** The link `npm start` prints: /ui/ with the window's token in the fragment. */
  windowUrl: string;
  /** A token for an AI client (the SDK client in the tests). */
  clientToken: string;
  home: string;
  dataDir: string;
  output(): string;
  close(): Promise<void>;
};

export async function startHeadlessGateway(): Promise<HeadlessGateway> {
  const home = await tempDir('gatehouse-e2e-home-');
  const dataDir = path.join(home, 'gatehouse-data');
  // Cursor counts as installed when ~/.cursor exists; the test connects it.
  await fs.mkdir(path.join(home, '.cursor'), { recursive: true });
  const config = path.join(home, 'gatehouse-servers.json');
  await fs.writeFile(
    config,
    JSON.stringify(
      { mcpServers: { everything: servers.everything(), memory: servers.memory(path.join(home, 'memory.jsonl')) } },
      null,
      2,
    ),
  );
  const child = spawn(
    NODE,
    [path.join(ROOT, 'src-main/cli/main.ts'), 'serve', '--config', config, '--port', '0', '--data-dir', dataDir],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        HOME: home,
        USERPROFILE: home,
        XDG_CONFIG_HOME: path.join(home, '.config'),
        NODE_ENV: 'production',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const close = async () => {
    await stop(child);
    await fs.rm(home, { recursive: true, force: true });
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`gatehouse serve printed no endpoint in 30 s:\n${output}`)),
        30_000,
      );
      const check = () => {
        const match = /http:\/\/127\.0\.0\.1:(\d+)\/mcp/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => reject(new Error(`gatehouse serve exited with ${code}:\n${output}`)));
    });
    const origin = `http://127.0.0.1:${port}`;
    const tokens = new LocalTokenStore(dataDir);
    const gateway: HeadlessGateway = {
      origin,
      windowUrl: windowUrl(origin, await tokens.getOrCreate(WINDOW_CLIENT_ID)),
      clientToken: await tokens.getOrCreate('e2e-client'),
      home,
      dataDir,
      output: () => output,
      close,
    };
    await assertServesWindow(gateway, await tokens.getOrCreate(WINDOW_CLIENT_ID));
    return gateway;
  } catch (error) {
    await close();
    throw error;
  }
}

/** Fails with what the listener must provide, rather than with a browser timeout. */
async function assertServesWindow(gateway: HeadlessGateway, token: string): Promise<void> {
  const ui = await fetch(`${gateway.origin}/ui/`);
  if (ui.status !== 200) {
    throw new Error(
      `GET /ui/ answered ${ui.status}: the gateway must pass windowRoutes(api).routes from src-main/core/api to the listener (the bundle at '/ui' as a public route, Host/Origin checked, no token).`,
    );
  }
  const status = await fetch(`${gateway.origin}/api/getStatus`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  if (status.status !== 200) {
    throw new Error(
      `POST /api/getStatus with the window token answered ${status.status} (${await status.text()}): the gateway must pass windowRoutes(api).routes from src-main/core/api to the listener ('/api/' behind the local token), over a GatewayApi implementation.`,
    );
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

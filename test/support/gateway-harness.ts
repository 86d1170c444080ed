import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { parseGatewayConfig } from '../../src-main/core/config/index.ts';
import { WINDOW_CLIENT_ID, windowUrl } from '../../src-main/core/api/index.ts';
import { createGateway, type Gateway, type GatewayDeps } from '../../src-main/core/gateway/index.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** Node 22 from the `node` devDependency: what every spawned server and CLI runs on. */
export const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');

export const servers = {
  everything: () => ({
    command: NODE,
    args: [path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'],
  }),
  memory: (file: string) => ({
    command: NODE,
    args: [path.join(ROOT, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js')],
    env: { MEMORY_FILE_PATH: file },
  }),
  filesystem: (dir: string) => ({
    command: NODE,
    args: [path.join(ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js'), dir],
  }),
  testUpstream: (env: Record<string, string> = {}) => ({
    command: NODE,
    args: [path.join(ROOT, 'test/support/test-upstream.ts')],
    env,
  }),
};

export async function tempDir(prefix = 'gatehouse-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export type RunningGateway = { gateway: Gateway; token: string; dataDir: string; close(): Promise<void> };

/** A real gateway in-process on a free port with its own temp data dir. */
export async function startGateway(
  mcpServers: Record<string, unknown>,
  extra: Partial<GatewayDeps> & { dataDir?: string } = {},
): Promise<RunningGateway> {
  const dataDir = extra.dataDir ?? (await tempDir());
  const gateway = await createGateway({ dataDir, port: 0, servers: parseGatewayConfig({ mcpServers }), ...extra });
  const token = await gateway.tokens.getOrCreate('test');
  return {
    gateway,
    token,
    dataDir,
    async close() {
      await gateway.close();
    },
  };
}

/** The SDK's real client, connected to a gateway URL with a token. */
export async function connect(
  url: string,
  token: string,
  options: { capabilities?: ClientCapabilities; setup?: (client: Client) => void; name?: string } = {},
): Promise<Client> {
  const client = new Client(
    { name: options.name ?? 'test-client', version: '1.0.0' },
    { capabilities: options.capabilities ?? {} },
  );
  options.setup?.(client);
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
  );
  return client;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** server-everything over Streamable HTTP in a child process. */
export async function startEverythingHttp(): Promise<{ url: string; child: ChildProcess; close(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    NODE,
    [path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'streamableHttp'],
    {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server-everything (HTTP) did not start in 15 s')), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`server-everything exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    child,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

/** Whether a process still exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The window's address for an in-process gateway, with the window's token, as the tray opens it. */
export async function gatewayWindowUrl(gateway: Gateway): Promise<string> {
  return windowUrl(`http://127.0.0.1:${gateway.port}`, await gateway.tokens.getOrCreate(WINDOW_CLIENT_ID));
}

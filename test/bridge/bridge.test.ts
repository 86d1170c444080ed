import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { LocalTokenStore } from '../../src-main/core/tokens/index.ts';
import {
  freePort,
  NODE,
  ROOT,
  servers,
  startGateway,
  tempDir,
  textOf,
  type RunningGateway,
} from '../support/gateway-harness.ts';

const BIN = path.join(ROOT, 'bin', 'gatehouse.js');

type Bridged = { client: Client; stderr: () => string; close(): Promise<void> };

/** What Claude Desktop does: start `gatehouse bridge` as a child process and speak MCP over stdio. */
async function bridgedClient(args: string[], options: { sampling?: boolean } = {}): Promise<Bridged> {
  const transport = new StdioClientTransport({
    command: NODE,
    args: [BIN, 'bridge', ...args],
    stderr: 'pipe',
    cwd: ROOT,
  });
  let stderr = '';
  transport.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client(
    { name: 'claude-desktop-stand-in', version: '1.0.0' },
    { capabilities: options.sampling ? { sampling: {} } : {} },
  );
  if (options.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
      model: 'stand-in-model',
      role: 'assistant',
      content: { type: 'text', text: `sampled: ${JSON.stringify(request.params.messages[0]?.content)}` },
    }));
  }
  const close = async () => {
    await client.close().catch(() => undefined);
  };
  try {
    await client.connect(transport);
  } catch (error) {
    await close();
    throw Object.assign(error as Error, { stderr });
  }
  return { client, stderr: () => stderr, close };
}

describe('gatehouse bridge in front of a running gateway with server-everything', () => {
  let gw: RunningGateway;
  let bridged: Bridged;

  beforeAll(async () => {
    gw = await startGateway({ everything: servers.everything() });
    await gw.gateway.tokens.getOrCreate('claude-desktop');
    bridged = await bridgedClient(['--url', gw.gateway.endpoint, '--data-dir', gw.dataDir], { sampling: true });
  });
  afterAll(async () => {
    await bridged?.close();
    await gw?.close();
  });

  it('initializes through the bridge and lists the aggregated tools', async () => {
    expect(bridged.client.getServerVersion()?.name).toMatch(/gatehouse/i);
    const tools = (await bridged.client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('everything__echo');
    expect(tools).toContain('everything__trigger-sampling-request');
  });

  it('calls echo', async () => {
    const result = await bridged.client.callTool({
      name: 'everything__echo',
      arguments: { message: 'through the bridge' },
    });
    expect(textOf(result)).toBe('Echo: through the bridge');
  });

  it('passes progress notifications back before the result', async () => {
    const progress: number[] = [];
    const result = await bridged.client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 1, steps: 4 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    );
    // The SDK client handles notifications a microtask later but responses at once, so when the last
    // progress and the result arrive in one read (a loaded machine), it drops that progress itself.
    // Every progress it did handle came in order and before the result.
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress).toEqual([1, 2, 3, 4].slice(0, progress.length));
    expect(textOf(result)).toMatch(/completed/i);
  });

  it('carries a server-to-client sampling request to the client and its answer back', async () => {
    const result = await bridged.client.callTool({
      name: 'everything__trigger-sampling-request',
      arguments: { prompt: 'hello from the server', maxTokens: 20 },
    });
    expect(textOf(result)).toContain('sampled: ');
    expect(textOf(result)).toContain('hello from the server');
  });

  it('says nothing on stderr while all is well', () => {
    expect(bridged.stderr()).toBe('');
  });
});

describe('gatehouse bridge to one server', () => {
  let gw: RunningGateway;
  afterEach(async () => gw?.close());

  it('forwards to /servers/<name>/mcp with the tool names unchanged', async () => {
    gw = await startGateway({ everything: servers.everything() });
    await gw.gateway.tokens.getOrCreate('claude-desktop');
    const bridged = await bridgedClient(['--url', gw.gateway.serverEndpoint('everything'), '--data-dir', gw.dataDir]);
    try {
      expect((await bridged.client.listTools()).tools.map((t) => t.name)).toContain('echo');
      expect(textOf(await bridged.client.callTool({ name: 'echo', arguments: { message: 'one' } }))).toBe('Echo: one');
    } finally {
      await bridged.close();
    }
  });
});

describe('gatehouse bridge when it cannot reach Gatehouse', () => {
  it('answers initialize with an error saying Gatehouse is not running, quickly, and says so on stderr', async () => {
    const dataDir = await tempDir();
    try {
      await new LocalTokenStore(dataDir).getOrCreate('claude-desktop');
      const port = await freePort(); // nothing listens there
      const started = Date.now();
      const error = (await bridgedClient(['--url', `http://127.0.0.1:${port}/mcp`, '--data-dir', dataDir]).catch(
        (e: unknown) => e,
      )) as Error & { stderr: string };
      const elapsed = Date.now() - started;
      expect(error.message).toContain(`Gatehouse is not running at http://127.0.0.1:${port}`);
      expect(error.stderr).toContain(`gatehouse bridge: Gatehouse is not running at http://127.0.0.1:${port}`);
      // Start-up and the answer: well under a second on a laptop; generous here for a busy CI box.
      expect(elapsed).toBeLessThan(5_000);
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  it('answers with how to reconnect when its client has no token', async () => {
    const dataDir = await tempDir();
    try {
      const error = (await bridgedClient([
        '--url',
        'http://127.0.0.1:9/mcp',
        '--data-dir',
        dataDir,
        '--client',
        'claude-desktop',
      ]).catch((e: unknown) => e)) as Error & { stderr: string };
      expect(error.message).toContain("No Gatehouse token for 'claude-desktop'");
      expect(error.message).toContain('gatehouse clients connect claude-desktop');
      expect(error.stderr).toContain("No Gatehouse token for 'claude-desktop'");
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  it('answers with a token error when Gatehouse rejects the token', async () => {
    const gw = await startGateway({ everything: servers.everything() });
    const otherDataDir = await tempDir();
    try {
      await new LocalTokenStore(otherDataDir).getOrCreate('claude-desktop'); // a token this gateway never issued
      const error = (await bridgedClient(['--url', gw.gateway.endpoint, '--data-dir', otherDataDir]).catch(
        (e: unknown) => e,
      )) as Error;
      expect(error.message).toContain("rejected the token of 'claude-desktop'");
    } finally {
      await gw.close();
      await fs.rm(otherDataDir, { recursive: true, force: true });
    }
  });
});

describe('gatehouse bridge across a gateway restart', () => {
  it('keeps the AI client working on a new session after Gatehouse restarts on the same port', async () => {
    const dataDir = await tempDir();
    const port = await freePort();
    let gw = await startGateway({ everything: servers.everything() }, { dataDir, port });
    await gw.gateway.tokens.getOrCreate('claude-desktop');
    const bridged = await bridgedClient(['--url', gw.gateway.endpoint, '--data-dir', dataDir]);
    try {
      expect(
        textOf(await bridged.client.callTool({ name: 'everything__echo', arguments: { message: 'before' } })),
      ).toBe('Echo: before');
      await gw.close();
      gw = await startGateway({ everything: servers.everything() }, { dataDir, port });
      expect(textOf(await bridged.client.callTool({ name: 'everything__echo', arguments: { message: 'after' } }))).toBe(
        'Echo: after',
      );
      expect(bridged.stderr()).toContain('Gatehouse restarted; continuing on a new session.');
    } finally {
      await bridged.close();
      await gw.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});

import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { ConfigError, loadGatewayConfig, parseGatewayConfig } from '../../src-main/core/config/index.ts';
import { connect, NODE, ROOT, servers, startGateway, tempDir, textOf, isAlive } from '../support/gateway-harness.ts';

describe('upstream faults', () => {
  it('a server that crashes mid-call gives a clear error, the others keep answering, and it is restarted', async () => {
    const gw = await startGateway({ crashy: servers.testUpstream(), steady: servers.testUpstream() });
    const client = await connect(gw.gateway.endpoint, gw.token);
    try {
      const firstPid = textOf(await client.callTool({ name: 'crashy__pid', arguments: {} }));
      const crashed = await client.callTool({ name: 'crashy__crash', arguments: {} });
      expect(crashed.isError).toBe(true);
      expect(textOf(crashed)).toMatch(/Server 'crashy' stopped during the request/);
      expect(textOf(await client.callTool({ name: 'steady__echo', arguments: { message: 'still here' } }))).toBe(
        'still here',
      );
      await expect
        .poll(async () => textOf(await client.callTool({ name: 'crashy__pid', arguments: {} })), {
          timeout: 10_000,
          interval: 300,
        })
        .toMatch(/^\d+$/);
      expect(textOf(await client.callTool({ name: 'crashy__pid', arguments: {} }))).not.toBe(firstPid);
    } finally {
      await client.close();
      await gw.close();
    }
  });

  it('a hung server times out with a clear error while another server answers at once', async () => {
    const gw = await startGateway({
      hung: { ...servers.testUpstream(), timeoutMs: 800 },
      steady: servers.testUpstream(),
    });
    const client = await connect(gw.gateway.endpoint, gw.token);
    try {
      // Earlier calls leave the connection's timeout timer set for their deadlines: the hang must
      // still time out 0.8 s after it started, not at theirs and not never.
      for (const message of ['a', 'b']) {
        expect(textOf(await client.callTool({ name: 'hung__echo', arguments: { message } }))).toBe(message);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      const started = performance.now();
      const hang = client.callTool({ name: 'hung__hang', arguments: {} });
      expect(textOf(await client.callTool({ name: 'steady__echo', arguments: { message: 'quick' } }))).toBe('quick');
      const result = await hang;
      const elapsed = performance.now() - started;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/did not answer within 1 s/);
      expect(elapsed).toBeGreaterThan(750);
      expect(elapsed).toBeLessThan(3000);
      // A server that reports progress is alive: 1.5 s of work with progress every 50 ms is not cut
      // at 0.8 s.
      let progressSeen = 0;
      const slow = await client.callTool({ name: 'hung__slow', arguments: { steps: 30 } }, undefined, {
        onprogress: () => progressSeen++,
      });
      expect(slow.isError).toBeFalsy();
      expect(textOf(slow)).toBe('done after 30 steps');
      expect(progressSeen).toBeGreaterThan(10);
    } finally {
      await client.close();
      await gw.close();
    }
  });

  it('a server that writes garbage to stdout still works', async () => {
    const gw = await startGateway({ noisy: servers.testUpstream({ GARBAGE_FIRST: '1' }) });
    const client = await connect(gw.gateway.endpoint, gw.token);
    try {
      expect(textOf(await client.callTool({ name: 'noisy__echo', arguments: { message: 'ok' } }))).toBe('ok');
    } finally {
      await client.close();
      await gw.close();
    }
  });

  it('a server that cannot start is reported with its stderr and does not block the others', async () => {
    const gw = await startGateway({
      broken: { command: NODE, args: ['-e', 'console.error("missing API key"); process.exit(1)'] },
      steady: servers.testUpstream(),
    });
    const client = await connect(gw.gateway.endpoint, gw.token);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('steady__echo');
      await expect.poll(() => gw.gateway.pool.get('broken')!.connection.lastError ?? '').toContain('missing API key');
    } finally {
      await client.close();
      await gw.close();
    }
  });
});

describe('list cache', () => {
  it('after a restart, the first tools/list answers from the cache without waiting for a slow server', async () => {
    const dataDir = await tempDir();
    const config = { slow: servers.testUpstream({ STARTUP_DELAY_MS: '5000' }), fast: servers.testUpstream() };
    const first = await startGateway(config, { dataDir });
    await expect
      .poll(() => first.gateway.pool.get('slow')!.lists?.tools.length ?? 0, { timeout: 15_000 })
      .toBeGreaterThan(0);
    await first.close();

    const second = await startGateway(config, { dataDir });
    const client = await connect(second.gateway.endpoint, second.token);
    try {
      const started = Date.now();
      const names = (await client.listTools()).tools.map((t) => t.name);
      const waited = Date.now() - started;
      expect(names).toEqual(expect.arrayContaining(['slow__echo', 'fast__echo']));
      expect(second.gateway.pool.get('slow')!.connection.state).not.toBe('ready'); // it really is still starting
      expect(waited).toBeLessThan(5000);
    } finally {
      await client.close();
      await second.close();
    }
  });
});

describe('server toggles', () => {
  it('turning a server off removes its tools from open sessions, tells them, and survives a restart', async () => {
    const dataDir = await tempDir();
    const config = { a: servers.testUpstream(), b: servers.testUpstream() };
    const gw = await startGateway(config, { dataDir });
    const client = await connect(gw.gateway.endpoint, gw.token);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    try {
      await expect.poll(async () => (await client.listTools()).tools.map((t) => t.name)).toContain('b__echo');
      await gw.gateway.setServerEnabled('b', false);
      await expect.poll(() => changed).toBeGreaterThan(0);
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('a__echo');
      expect(names).not.toContain('b__echo');
      await expect(client.callTool({ name: 'b__echo', arguments: { message: 'x' } })).rejects.toThrow(/turned off/);
    } finally {
      await client.close();
      await gw.close();
    }
    const again = await startGateway(config, { dataDir });
    try {
      expect(again.gateway.pool.get('b')!.enabled).toBe(false);
    } finally {
      await again.close();
    }
  });
});

describe('config errors', () => {
  it('reports every problem with its JSON path', () => {
    let error: ConfigError | undefined;
    try {
      parseGatewayConfig(
        {
          mcpServers: {
            good: { command: 'x' },
            bad__name: { command: 'y' },
            nothing: {},
            remote: { url: 'ftp://x' },
            args: { command: 'z', args: 'not-a-list' },
          },
        },
        'my.json',
      );
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual([
      expect.stringContaining('mcpServers.bad__name: server name must be'),
      expect.stringContaining('mcpServers.nothing: needs "command"'),
      expect.stringMatching(/^mcpServers\.remote\.url: /),
      expect.stringMatching(/^mcpServers\.args\.args: /),
    ]);
    expect(error!.message).toContain('my.json');
  });

  it('names the file when it is not JSON', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'config.json');
    await fs.writeFile(file, '{ "mcpServers": { ');
    await expect(loadGatewayConfig(file)).rejects.toThrow(
      /config\.json is not a valid Gatehouse config:\n {2}- not valid JSON/,
    );
  });
});

describe('gatehouse serve', () => {
  function runCli(args: string[]) {
    return spawn(NODE, [path.join(ROOT, 'bin/gatehouse.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  it('prints the endpoints, serves, and on SIGTERM stops with no server process left behind', async () => {
    const dir = await tempDir();
    const config = path.join(dir, 'config.json');
    await fs.writeFile(config, JSON.stringify({ mcpServers: { test: servers.testUpstream() } }));
    const child = runCli(['serve', '--config', config, '--port', '0', '--data-dir', path.join(dir, 'data')]);
    try {
      const output = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (c: Buffer) => {
          text += c.toString();
          if (text.includes('Ctrl-C')) resolve(text);
        });
        child.once('exit', (code) => reject(new Error(`serve exited early with ${code}`)));
      });
      const endpoint = /all servers:\s+(\S+)/.exec(output)![1]!;
      expect(output).toMatch(/test\s+http:\/\/127\.0\.0\.1:\d+\/servers\/test\/mcp/);
      const token = await new Promise<string>((resolve) => {
        const t = runCli(['token', '--data-dir', path.join(dir, 'data')]);
        let out = '';
        t.stdout.on('data', (c: Buffer) => (out += c.toString()));
        t.on('exit', () => resolve(out.trim()));
      });
      const client = await connect(endpoint, token);
      const pid = Number(textOf(await client.callTool({ name: 'test__pid', arguments: {} })));
      expect(isAlive(pid)).toBe(true);
      await client.close();
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
      await expect.poll(() => isAlive(pid)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses to start half-configured and says what is wrong', async () => {
    const dir = await tempDir();
    const config = path.join(dir, 'config.json');
    await fs.writeFile(config, JSON.stringify({ mcpServers: { ok: { command: 'x' }, broken: { url: 42 } } }));
    const child = runCli(['serve', '--config', config, '--port', '0', '--data-dir', dir]);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('mcpServers.broken.url');
  });
});

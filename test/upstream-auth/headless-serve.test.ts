// Headless `gatehouse serve` in personal mode connects to an OAuth-protected remote server too:
// `gatehouse connect` prints the sign-in link (no browser on a headless machine), the user signs in,
// and the AI client's calls go through, with the tokens in the data dir's secret store only.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browseHeadless } from '../../src-main/demo/headless-browser.ts';
import { LocalTokenStore } from '../../src-main/core/tokens/index.ts';
import { connect, NODE, ROOT, tempDir, textOf } from '../support/gateway-harness.ts';
import { startProtectedServer, type ProtectedServer } from './support/protected-server.ts';

const BIN = path.join(ROOT, 'bin', 'gatehouse.js');

/** Runs `gatehouse …`, calling `onLine` with each stdout line as it arrives. */
function gatehouse(
  args: string[],
  onLine: (line: string) => void = () => {},
): { child: ChildProcess; done: Promise<number | null> } {
  const child = spawn(NODE, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    lines.forEach(onLine);
  });
  child.stderr!.resume();
  return { child, done: new Promise((resolve) => child.once('exit', resolve)) };
}

describe('headless gatehouse serve (personal mode) and an OAuth-protected server', () => {
  let upstream: ProtectedServer;
  let dataDir: string;
  let serve: ChildProcess;
  let endpoint: string;

  beforeAll(async () => {
    upstream = await startProtectedServer();
    dataDir = await tempDir('gatehouse-serve-oauth-');
    const config = path.join(dataDir, 'config.json');
    await fs.writeFile(config, JSON.stringify({ mcpServers: { notes: { type: 'http', url: upstream.url } } }));
    const started = new Promise<string>((resolve) => {
      const run = gatehouse(['serve', '--config', config, '--port', '0', '--data-dir', dataDir], (line) => {
        const match = /all servers:\s+(\S+)/.exec(line);
        if (match) resolve(match[1]!);
      });
      serve = run.child;
    });
    endpoint = await started;
  }, 30_000);

  afterAll(async () => {
    serve?.kill('SIGTERM');
    await upstream?.stop();
  });

  it('gatehouse connect prints the sign-in link; once signed in, calls go through', async () => {
    const token = await new LocalTokenStore(dataDir).getOrCreate('headless-test');
    const client = await connect(endpoint, token);
    try {
      const before = await client.callTool({ name: 'notes__connect', arguments: {} });
      expect(before.isError).toBe(true);
      expect(textOf(before)).toContain('Open Gatehouse to connect notes');

      const port = new URL(endpoint).port;
      const browsed: Promise<unknown>[] = [];
      const lines: string[] = [];
      const run = gatehouse(['connect', 'notes', '--wait', '20', '--port', port, '--data-dir', dataDir], (line) => {
        lines.push(line);
        // The link the user would open by hand: sign in as alice and consent, headlessly.
        if (/^\s+http:\/\/127\.0\.0\.1:\d+\//.test(line))
          browsed.push(browseHeadless(`${line.trim()}&login_hint=alice`));
      });
      expect(await run.done).toBe(0);
      await Promise.all(browsed);
      expect(lines.join('\n')).toContain('Connected notes as alice@example.test');

      await expect
        .poll(async () => (await client.listTools()).tools.map((t) => t.name), { timeout: 10_000 })
        .toContain('notes__whoami');
      const after = await client.callTool({ name: 'notes__whoami', arguments: {} });
      expect(after.isError).toBeFalsy();
      expect(textOf(after)).toContain('alice');
      const stored = JSON.parse(await fs.readFile(path.join(dataDir, 'secrets.json'), 'utf8')) as {
        secrets: Record<string, string>;
      };
      expect(Object.keys(stored.secrets)).toContain('upstream-oauth:notes');
    } finally {
      await client.close();
    }
  }, 60_000);
});

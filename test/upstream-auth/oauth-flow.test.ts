// Per-user OAuth to a remote MCP server through the real gateway: consent tool error, headless
// consent, calls, silent refresh (ahead of expiry and after a 401, single-flight), revocation at
// the AS, disconnect, and a scan that finds no token anywhere the gateway writes or logs.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditDirIn } from '../../src-main/core/audit/index.ts';
import { browseHeadless } from '../../src-main/demo/headless-browser.ts';
import { FileSecretStore } from '../../src-main/core/secrets/index.ts';
import { connect, NODE, ROOT, startGateway, tempDir, type RunningGateway } from '../support/gateway-harness.ts';
import { startProtectedServer, type ProtectedServer } from './support/protected-server.ts';

const TTL_SECONDS = 3;
const run = promisify(execFile);

type CallResult = { isError?: boolean; content: { type: string; text: string }[] };

describe('OAuth to a remote MCP server (personal mode)', () => {
  let upstream: ProtectedServer;
  let running: RunningGateway;
  let client: Client;
  let home: string;
  const logs: string[] = [];
  const browsed: Promise<unknown>[] = [];
  /** Every token the test saw at any point, for the final scan. */
  const seenTokens = new Set<string>();

  const secretsFile = () => path.join(running.dataDir, 'secrets.json');
  const secrets = async (): Promise<Record<string, string>> => {
    try {
      const document = JSON.parse(await fs.readFile(secretsFile(), 'utf8')) as { secrets: Record<string, string> };
      return document.secrets;
    } catch {
      return {};
    }
  };
  const storedGrant = async () => {
    const raw = (await secrets())['upstream-oauth:notes'];
    if (!raw) return undefined;
    const grant = JSON.parse(raw) as { accessToken: string; refreshToken?: string };
    seenTokens.add(grant.accessToken);
    if (grant.refreshToken) seenTokens.add(grant.refreshToken);
    return grant;
  };
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args })) as CallResult;
  const connection = async () => (await running.gateway.api.listConnections()).find((c) => c.server === 'notes');

  beforeAll(async () => {
    upstream = await startProtectedServer({ accessTokenTtl: TTL_SECONDS });
    home = await tempDir('gatehouse-home-');
    const dataDir = await tempDir();
    running = await startGateway(
      { notes: { type: 'http', url: upstream.url } },
      {
        dataDir,
        secretStore: new FileSecretStore({ dataDir }),
        // The "browser": the user signs in as alice and consents, headlessly.
        openBrowser: async (url) => {
          browsed.push(browseHeadless(`${url}&login_hint=alice`));
        },
        host: { platform: 'linux', homeDir: home, env: { HOME: home } },
        log: (line) => logs.push(line),
      },
    );
    client = await connect(running.gateway.endpoint, running.token);
  });

  afterAll(async () => {
    await client?.close();
    await running?.close();
    await upstream?.stop();
    await Promise.allSettled(browsed);
  });

  it('offers a connect tool whose call says to open Gatehouse, before any consent', async () => {
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('notes__connect');
    const result = await call('notes__connect');
    expect(result.isError).toBe(true);
    expect(result.content[0]!.text).toContain('Open Gatehouse to connect notes');
    expect(result.content[0]!.text).not.toMatch(/https?:\/\//);
    expect(await connection()).toMatchObject({ state: 'needs-consent', user: null });
    // The per-server endpoint passes calls through: the same tool error there.
    const direct = await connect(running.gateway.serverEndpoint('notes'), running.token);
    try {
      const answer = (await direct.callTool({ name: 'whoami', arguments: {} })) as CallResult;
      expect(answer.isError).toBe(true);
      expect(answer.content[0]!.text).toContain('Open Gatehouse to connect notes');
    } finally {
      await direct.close();
    }
  });

  it('connects through the browser flow (DCR, PKCE, resource indicator) and calls succeed', async () => {
    const { authorizationUrl } = await running.gateway.api.connectServer({ server: 'notes' });
    const url = new URL(authorizationUrl);
    expect(url.origin).toBe(upstream.issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('resource')).toBe(upstream.url);
    await expect.poll(async () => (await connection())?.state, { timeout: 5000 }).toBe('connected');
    expect(await connection()).toMatchObject({ user: 'alice@example.test', authorizationServer: upstream.issuer });
    await expect
      .poll(async () => (await client.listTools()).tools.map((t) => t.name), { timeout: 5000 })
      .toContain('notes__whoami');
    const result = await call('notes__whoami');
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(result.content[0]!.text)).toEqual({ sub: 'alice', email: 'alice@example.test' });
    expect(await storedGrant()).toMatchObject({ accessToken: upstream.acceptedTokens.at(-1) });
  });

  it('refreshes ahead of expiry without the client noticing', async () => {
    const before = (await storedGrant())!;
    await new Promise((resolve) => setTimeout(resolve, TTL_SECONDS * 1000 * 0.85));
    const refusedBefore = upstream.unauthorizedCount();
    const result = await call('notes__whoami');
    expect(result.isError).toBeFalsy();
    // Ahead of expiry: the token about to expire is never sent, so the server refuses nothing.
    expect(upstream.unauthorizedCount()).toBe(refusedBefore);
    const after = (await storedGrant())!;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken); // rotated
    expect(upstream.acceptedTokens.at(-1)).toBe(after.accessToken);
    expect((await connection())?.lastRefreshAt).not.toBeNull();
  });

  it('refreshes once after a 401 even when several calls hit it at once', async () => {
    const before = (await storedGrant())!;
    upstream.rejectToken(before.accessToken);
    const results = await Promise.all(Array.from({ length: 5 }, () => call('notes__whoami')));
    for (const result of results) expect(result.isError).toBeFalsy();
    const after = (await storedGrant())!;
    expect(after.accessToken).not.toBe(before.accessToken);
    // A second refresh would have reused the rotated refresh token and the AS would have ended the grant.
    expect(await upstream.isKnownRefreshToken(after.refreshToken!)).toBe(true);
    expect(new Set(upstream.acceptedTokens.slice(-5))).toEqual(new Set([after.accessToken]));
  });

  it('masks a token an agent pastes into a call in the audit log', async () => {
    const grant = (await storedGrant())!;
    running.gateway.audit.setRedaction({ level: 'full' });
    const result = await call('notes__echo', {
      text: `here is a token ${grant.accessToken} and ${grant.refreshToken}`,
    });
    expect(result.isError).toBeFalsy();
  });

  it('asks for consent again after the AS revokes the grant', async () => {
    const grant = (await storedGrant())!;
    await upstream.revokeGrant(grant.refreshToken!);
    upstream.rejectToken(grant.accessToken); // the JWT would otherwise work until it expires
    const result = await call('notes__whoami');
    expect(result.isError).toBe(true);
    expect(result.content[0]!.text).toContain('Open Gatehouse to connect notes');
    expect(await storedGrant()).toBeUndefined();
    expect(await connection()).toMatchObject({ state: 'needs-consent' });
  });

  it('gatehouse connect reconnects, --list shows it, --disconnect revokes at the AS and deletes the tokens', async () => {
    const cli = (...args: string[]) =>
      gatehouse([...args, '--port', String(running.gateway.port), '--data-dir', running.dataDir]);
    const connected = await cli('connect', 'notes', '--wait', '10');
    expect(connected.stdout).toContain('Connected notes as alice@example.test');
    expect((await call('notes__whoami')).isError).toBeFalsy();
    expect((await cli('connect', '--list')).stdout).toMatch(/^notes: connected as alice@example\.test, token until /m);
    const grant = (await storedGrant())!;
    const disconnected = await cli('connect', '--disconnect', 'notes');
    expect(disconnected.stdout).toContain('Disconnected notes; its tokens were revoked');
    expect(await upstream.isKnownRefreshToken(grant.refreshToken!)).toBe(false);
    const left = await secrets();
    expect(Object.keys(left).filter((k) => k.startsWith('upstream-oauth:'))).toEqual([]);
    expect((await call('notes__whoami')).content[0]!.text).toContain('Open Gatehouse to connect notes');
  });

  it('leaves no token in the audit log, client configs or gateway logs', async () => {
    for (const token of upstream.acceptedTokens) seenTokens.add(token);
    expect(seenTokens.size).toBeGreaterThan(3);
    await running.gateway.api.connectClient({ client: 'claude-code' }).catch(() => undefined);
    await running.gateway.audit.flush();
    const files = [
      ...(await filesUnder(auditDirIn(running.dataDir))),
      ...(await filesUnder(home)),
      ...(await filesUnder(path.join(running.dataDir, 'cache'))),
    ];
    expect(files.length).toBeGreaterThan(0);
    const texts = [...(await Promise.all(files.map((f) => fs.readFile(f, 'utf8')))), logs.join('\n')];
    expect(texts.join('\n')).toContain('here is a token'); // the pasted call was recorded…
    for (const token of seenTokens) {
      for (const text of texts) expect(text.includes(token)).toBe(false); // …without the tokens
    }
  });
});

async function gatehouse(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const { stdout, stderr } = await run(NODE, [path.join(ROOT, 'src-main/cli/main.ts'), ...args], { timeout: 20_000 });
  return { stdout, stderr };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

// Org mode: a policy server protected by its own OAuth authorization server. When the org takes the
// server away, and when the user signs out, the user's tokens for it are revoked at that AS and
// deleted from the secret store.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browseHeadless } from '../../src-main/demo/headless-browser.ts';
import { type RunningOrgServer } from '../../src-main/org-server/index.ts';
import { connect, startGateway, tempDir, type RunningGateway } from '../support/gateway-harness.ts';
import { startTestOrgServer, testOrgDeps } from '../support/org-gateway.ts';
import { startTestIdp, type TestIdp } from '../support/idp.ts';
import { startProtectedServer, type ProtectedServer } from './support/protected-server.ts';

type CallResult = { isError?: boolean; content: { type: string; text: string }[] };

describe('upstream OAuth in org mode', () => {
  let idp: TestIdp;
  let upstream: ProtectedServer;
  let orgServer: RunningOrgServer;
  let running: RunningGateway;
  let client: Client;
  let policyFile: string;
  let revision = 0;
  const browsed: Promise<unknown>[] = [];

  const writePolicy = async (rules: unknown[]) => {
    revision++;
    await fs.writeFile(
      policyFile,
      JSON.stringify({
        version: 1,
        policyVersion: `r${revision}`,
        issuedAt: new Date().toISOString(),
        staleAfterSeconds: 3600,
        servers: { notes: { url: upstream.url, oauth: { scopes: ['mcp:tools'] } } },
        rules,
      }),
    );
  };
  const allowEng = { id: 'eng-everything', effect: 'allow', when: { groups: ['eng'] }, servers: ['*'] };
  const secrets = async (): Promise<Record<string, string>> => {
    const file = path.join(running.dataDir, 'secrets.json');
    return (JSON.parse(await fs.readFile(file, 'utf8')) as { secrets: Record<string, string> }).secrets;
  };
  const upstreamKeys = async () => Object.keys(await secrets()).filter((k) => k.startsWith('upstream-oauth'));
  const refreshToken = async () =>
    (JSON.parse((await secrets())['upstream-oauth:notes']!) as { refreshToken: string }).refreshToken;
  const connectNotes = async () => {
    await running.gateway.api.connectServer({ server: 'notes' });
    await expect
      .poll(async () => (await running.gateway.api.listConnections()).find((c) => c.server === 'notes')?.state, {
        timeout: 5000,
      })
      .toBe('connected');
    const result = (await client.callTool({ name: 'notes__whoami', arguments: {} })) as CallResult;
    expect(result.isError).toBeFalsy();
  };

  beforeAll(async () => {
    idp = await startTestIdp();
    upstream = await startProtectedServer();
    const dir = await tempDir('gatehouse-org-');
    policyFile = path.join(dir, 'policy.json');
    await writePolicy([allowEng]);
    orgServer = await startTestOrgServer(idp, { policyFile });
    const dataDir = await tempDir();
    running = await startGateway(
      {},
      {
        dataDir,
        org: testOrgDeps({
          idp,
          orgServerUrl: orgServer.url,
          dataDir,
          // One browser for both sign-ins: the org's IdP (login_hint in the URL) and the server's AS.
          openBrowser: async (url) => {
            const page = url.startsWith(upstream.issuer) ? `${url}&login_hint=alice` : url;
            browsed.push(browseHeadless(page).catch(() => undefined));
          },
        }),
      },
    );
    await running.gateway.org!.login({ loginHint: 'alice' });
    client = await connect(running.gateway.endpoint, running.token);
  });

  afterAll(async () => {
    await client?.close();
    await running?.close();
    await orgServer?.close();
    await upstream?.stop();
    await idp?.stop();
    await Promise.allSettled(browsed);
  });

  it('a policy server asks for consent, then works once connected', async () => {
    await expect.poll(() => running.gateway.pool.get('notes')?.enabled, { timeout: 10_000 }).toBe(true);
    const before = (await client.callTool({ name: 'notes__whoami', arguments: {} })) as CallResult;
    expect(before.isError).toBe(true);
    expect(before.content[0]!.text).toContain('Open Gatehouse to connect notes');
    await connectNotes();
    expect((await running.gateway.api.listConnections())[0]).toMatchObject({ user: 'alice@example.test' });
  });

  it('the org taking the server away revokes and deletes its tokens', async () => {
    const token = await refreshToken();
    await writePolicy([
      allowEng,
      { id: 'no-notes', effect: 'deny', when: { groups: ['eng'] }, servers: ['notes'], description: 'Notes retired.' },
    ]);
    await expect.poll(upstreamKeys, { timeout: 10_000 }).toEqual([]);
    expect(await upstream.isKnownRefreshToken(token)).toBe(false);
  });

  it('signing out revokes and deletes every upstream token', async () => {
    await writePolicy([allowEng]);
    await expect.poll(() => running.gateway.pool.get('notes')?.enabled, { timeout: 10_000 }).toBe(true);
    await connectNotes();
    const token = await refreshToken();
    await running.gateway.api.logout();
    expect(await upstreamKeys()).toEqual([]);
    expect(await upstream.isKnownRefreshToken(token)).toBe(false);
  });
});

import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { type RunningOrgServer } from '../../src-main/org-server/index.ts';
import { headlessBrowser } from '../auth/fixtures.ts';
import { connect, servers, startGateway, tempDir, textOf, type RunningGateway } from '../support/gateway-harness.ts';
import { startTestOrgServer, testOrgDeps } from '../support/org-gateway.ts';
import { startIdentityUpstream } from '../support/identity-upstream.ts';
import { startTestIdp, type TestIdp } from '../support/idp.ts';

type Org = {
  idp: TestIdp;
  orgServer: RunningOrgServer;
  identity: Awaited<ReturnType<typeof startIdentityUpstream>>;
  policyFile: string;
  writePolicy(changes?: { rules?: unknown[]; staleAfterSeconds?: number }): Promise<void>;
};

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

const BASE_RULES = [
  { id: 'eng-everything', effect: 'allow', when: { groups: ['eng'] }, servers: ['*'] },
  { id: 'sales-tools', effect: 'allow', when: { groups: ['sales'] }, servers: ['tools'] },
  {
    id: 'sales-no-crash',
    effect: 'deny',
    when: { groups: ['sales'] },
    servers: ['tools'],
    tools: ['crash', 'hang'],
    description: 'Sales does not debug servers.',
  },
];

async function startOrg(options: { accessTokenTtl?: number } = {}): Promise<Org> {
  const idp = await startTestIdp(options.accessTokenTtl ? { ttl: { accessToken: options.accessTokenTtl } } : {});
  cleanups.push(() => idp.stop());
  const identity = await startIdentityUpstream({ issuer: idp.issuer, jwksUri: idp.jwksUri });
  cleanups.push(() => identity.close());
  const dir = await tempDir('gatehouse-org-');
  const policyFile = path.join(dir, 'policy.json');
  let revision = 0;
  const writePolicy = async (changes: { rules?: unknown[]; staleAfterSeconds?: number } = {}) => {
    revision++;
    await fs.writeFile(
      policyFile,
      JSON.stringify({
        version: 1,
        policyVersion: `r${revision}`,
        issuedAt: new Date().toISOString(),
        staleAfterSeconds: changes.staleAfterSeconds ?? 3600,
        contact: 'it-help@example.test',
        servers: {
          tools: servers.testUpstream(),
          whoami: {
            url: identity.url,
            identity: { claimHeaders: { email: 'X-User-Email' }, accessToken: { resource: identity.url } },
          },
        },
        rules: changes.rules ?? BASE_RULES,
      }),
    );
  };
  await writePolicy();
  const orgServer = await startTestOrgServer(idp, { policyFile });
  cleanups.push(() => orgServer.close());
  return { idp, orgServer, identity, policyFile, writePolicy };
}

async function signedInGateway(
  org: Org,
  user: string,
  dataDir?: string,
): Promise<{ gw: RunningGateway; client: Client }> {
  const dir = dataDir ?? (await tempDir());
  const gw = await startGateway(
    {},
    {
      dataDir: dir,
      org: testOrgDeps({
        idp: org.idp,
        orgServerUrl: org.orgServer.url,
        dataDir: dir,
        openBrowser: headlessBrowser().openBrowser,
      }),
    },
  );
  cleanups.push(() => gw.close());
  await gw.gateway.org!.login({ loginHint: user });
  await expect.poll(() => gw.gateway.pool.get('tools')?.enabled, { timeout: 10_000 }).toBe(true);
  const client = await connect(gw.gateway.endpoint, gw.token);
  cleanups.push(() => client.close());
  return { gw, client };
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name);
}

describe('org mode with a real IdP and the reference org server', () => {
  it('two users in different groups see different servers and tools', async () => {
    const org = await startOrg();
    const alice = await signedInGateway(org, 'alice');
    const bob = await signedInGateway(org, 'bob');
    await expect
      .poll(() => toolNames(alice.client))
      .toEqual(expect.arrayContaining(['tools__echo', 'tools__crash', 'whoami__whoami']));
    const bobs = await toolNames(bob.client);
    expect(bobs).toContain('tools__echo');
    expect(bobs).not.toContain('tools__crash');
    expect(bobs.some((n) => n.startsWith('whoami__'))).toBe(false);
    const denied = await bob.client.callTool({ name: 'tools__crash', arguments: {} }).catch((e: Error) => e);
    expect(String(denied)).toMatch(/sales-no-crash/);
    expect(String(denied)).toMatch(/it-help@example\.test/);
  });

  it('forwards a verifiable identity, and a client cannot spoof it with its own headers', async () => {
    const org = await startOrg();
    const { gw } = await signedInGateway(org, 'alice');
    // A client that tries to pass itself off as someone else.
    const spoofer = new SdkClient({ name: 'spoofer', version: '1' });
    await spoofer.connect(
      new StreamableHTTPClientTransport(new URL(gw.gateway.endpoint), {
        requestInit: {
          headers: {
            authorization: `Bearer ${gw.token}`,
            'x-user-email': 'mallory@evil.test',
            cookie: 'session=stolen',
          },
        },
      }),
    );
    cleanups.push(() => spoofer.close());
    const who = JSON.parse(textOf(await spoofer.callTool({ name: 'whoami__whoami', arguments: {} })));
    expect(who.verified).toEqual({ sub: 'alice', email: 'alice@example.test', groups: ['eng', 'mcp-admins'] });
    expect(who.headers).toEqual({ email: 'alice@example.test', cookie: null });
    // The forwarded token is a secret the audit log must never hold, even when a server echoes it back.
    await gw.gateway.audit.flush();
    const records = (await gw.gateway.audit.query({ server: 'whoami' })).records;
    expect(records.length).toBeGreaterThan(0);
    expect(JSON.stringify(records)).not.toContain(gw.token);
  });

  it('a tool revoked in the policy file is refused on an already open session within 5 s', async () => {
    const org = await startOrg();
    const { client } = await signedInGateway(org, 'alice');
    expect(textOf(await client.callTool({ name: 'tools__echo', arguments: { message: 'before' } }))).toBe('before');
    const changedAt = Date.now();
    await org.writePolicy({
      rules: [...BASE_RULES, { id: 'echo-revoked', effect: 'deny', servers: ['tools'], tools: ['echo'] }],
    });
    let refusedAt = 0;
    await expect
      .poll(
        async () => {
          const outcome = await client.callTool({ name: 'tools__echo', arguments: { message: 'after' } }).then(
            () => 'allowed',
            (e: Error) => e.message,
          );
          if (outcome !== 'allowed') refusedAt = Date.now();
          return outcome;
        },
        { timeout: 5_000, interval: 50 },
      )
      .toMatch(/echo-revoked/);
    console.log(`revocation delay: ${refusedAt - changedAt} ms`);
    expect(await toolNames(client)).not.toContain('tools__echo');
  });

  it('an expired access token is refreshed without the client noticing', async () => {
    const org = await startOrg({ accessTokenTtl: 2 });
    const { client } = await signedInGateway(org, 'alice');
    expect(JSON.parse(textOf(await client.callTool({ name: 'whoami__whoami', arguments: {} }))).verified.sub).toBe(
      'alice',
    );
    await new Promise((r) => setTimeout(r, 2_500));
    expect(JSON.parse(textOf(await client.callTool({ name: 'whoami__whoami', arguments: {} }))).verified.sub).toBe(
      'alice',
    );
    expect(org.identity.rejected).toBe(0);
  });

  it('with the policy endpoint down, the last-known-good policy holds until the bound, then org servers fail closed', async () => {
    const org = await startOrg();
    await org.writePolicy({ staleAfterSeconds: 3 });
    const { gw, client } = await signedInGateway(org, 'alice');
    await expect.poll(() => gw.gateway.org!.status().policy?.version).toBe('r2');
    await org.orgServer.close();
    expect(textOf(await client.callTool({ name: 'tools__echo', arguments: { message: 'still allowed' } }))).toBe(
      'still allowed',
    );
    await expect
      .poll(
        () =>
          client.callTool({ name: 'tools__echo', arguments: { message: 'x' } }).then(
            () => 'allowed',
            (e: Error) => e.message,
          ),
        { timeout: 8_000, interval: 200 },
      )
      .toMatch(/could not be confirmed/);
    expect(await toolNames(client)).not.toContain('tools__echo');
  });

  it('sign-out stops org servers at once', async () => {
    const org = await startOrg();
    const { gw, client } = await signedInGateway(org, 'alice');
    const pid = Number(textOf(await client.callTool({ name: 'tools__pid', arguments: {} })));
    await gw.gateway.org!.logout();
    await expect.poll(() => gw.gateway.pool.get('tools')?.enabled ?? false).toBe(false);
    const refused = await client.callTool({ name: 'tools__echo', arguments: { message: 'x' } }).then(
      () => 'allowed',
      (e: Error) => e.message,
    );
    expect(refused).toMatch(/Sign in/);
    await expect
      .poll(() => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      })
      .toBe(false);
  });
});

// Org-side faults with the real IdP (oidc-provider), the real reference org server (signing its
// policies) and a real gateway in org mode. A fault proxy in front of the org server makes the
// policy endpoint answer 500, garbage, a huge body, a document signed with a key the org does not
// list, or a policy with a thousand servers. The last-known-good policy holds, nothing fails open,
// the staleness bound is kept even while the endpoint answers garbage, and it recovers.
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { signPolicy } from '../../src-main/core/policy/index.ts';
import { loadSigningKey, type RunningOrgServer } from '../../src-main/org-server/index.ts';
import { headlessBrowser } from '../auth/fixtures.ts';
import { connect, servers, startGateway, tempDir, textOf, type RunningGateway } from '../support/gateway-harness.ts';
import { startTestOrgServer, testOrgDeps } from '../support/org-gateway.ts';
import { startTestIdp, type TestIdp } from '../support/idp.ts';
import { startIdentityUpstream } from '../support/identity-upstream.ts';
import { startFaultyUpstream } from './support/faulty-http-upstream.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

type FaultMode = 'pass' | '500' | 'garbage' | 'huge' | 'foreign-signature';

/** Forwards to the org server, or answers GET /policy with the fault of the moment. */
async function startFaultProxy(target: string, foreign: () => Promise<string>) {
  const state = { mode: 'pass' as FaultMode, policyRequests: 0 };
  const server = http.createServer((req, res) => {
    const isPolicy = req.method === 'GET' && req.url === '/policy';
    if (isPolicy) state.policyRequests++;
    if (isPolicy && state.mode === '500') return void res.writeHead(500).end('Internal Server Error');
    if (isPolicy && state.mode === 'garbage') {
      return void res.writeHead(200, { 'content-type': 'application/json', etag: '"g"' }).end('{"version": 1, "ser');
    }
    if (isPolicy && state.mode === 'huge') {
      // 256 MB of JSON-looking bytes, as fast as the client takes them.
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 256) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('{}');
      };
      res.on('close', () => (sent = 256));
      return pump();
    }
    if (isPolicy && state.mode === 'foreign-signature') {
      void foreign().then((jws) => res.writeHead(200, { 'content-type': 'application/jose', etag: '"f"' }).end(jws));
      return;
    }
    const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode!, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Doc = { staleAfterSeconds?: number; extraRules?: unknown[]; servers?: Record<string, unknown> };

async function startOrg(options: { accessTokenTtl?: number } = {}) {
  const idp: TestIdp = await startTestIdp(
    options.accessTokenTtl ? { ttl: { accessToken: options.accessTokenTtl } } : {},
  );
  cleanups.push(() => idp.stop());
  const dir = await tempDir('gatehouse-org-faults-');
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const keyFile = path.join(dir, 'org-key.jwk');
  await fs.writeFile(keyFile, JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'org-key', alg: 'ES256' }));
  const orgPublic: JWK = { ...(await exportJWK(publicKey)), kid: 'org-key', alg: 'ES256' };
  const policyFile = path.join(dir, 'policy.json');
  let revision = 0;
  const document = (doc: Doc) => {
    revision++;
    return JSON.stringify({
      version: 1,
      policyVersion: `r${revision}`,
      issuedAt: new Date(Date.now() + revision).toISOString(),
      staleAfterSeconds: doc.staleAfterSeconds ?? 3600,
      contact: 'it-help@example.test',
      servers: doc.servers ?? { tools: servers.testUpstream() },
      rules: [
        { id: 'eng-everything', effect: 'allow', when: { groups: ['eng'] }, servers: ['*'] },
        { id: 'no-crash', effect: 'deny', servers: ['*'], tools: ['crash', 'hang'] },
        ...(doc.extraRules ?? []),
      ],
    });
  };
  const writePolicy = async (doc: Doc = {}) => fs.writeFile(policyFile, document(doc));
  await writePolicy();
  const orgServer: RunningOrgServer = await startTestOrgServer(idp, {
    policyFile,
    signingKey: await loadSigningKey(keyFile),
  });
  cleanups.push(() => orgServer.close());
  // A document that would open everything, signed by a key the org does not list.
  const stranger = await generateKeyPair('ES256');
  const foreign = () =>
    signPolicy(document({ extraRules: [{ id: 'everything', effect: 'allow', servers: ['*'] }] }), stranger.privateKey, {
      alg: 'ES256',
      kid: 'org-key',
    });
  const proxy = await startFaultProxy(orgServer.url, foreign);
  cleanups.push(() => proxy.close());
  return { idp, orgServer, proxy, orgPublic, writePolicy, revision: () => revision };
}

type Org = Awaited<ReturnType<typeof startOrg>>;

async function signedInGateway(org: Org): Promise<{ gw: RunningGateway; client: Client; log: string[] }> {
  const dir = await tempDir();
  const log: string[] = [];
  const gw = await startGateway(
    {},
    {
      dataDir: dir,
      log: (line) => log.push(line),
      org: testOrgDeps({
        idp: org.idp,
        orgServerUrl: org.proxy.url,
        dataDir: dir,
        openBrowser: headlessBrowser().openBrowser,
        config: { signingKeys: [org.orgPublic as never] },
        extra: { pollIntervalMs: 300 },
      }),
    },
  );
  cleanups.push(() => gw.close());
  await gw.gateway.org!.login({ loginHint: 'alice' });
  await expect.poll(() => gw.gateway.pool.get('tools')?.enabled, { timeout: 15_000 }).toBe(true);
  const client = await connect(gw.gateway.endpoint, gw.token);
  cleanups.push(() => client.close());
  return { gw, client, log };
}

const call = (client: Client, name: string) =>
  client.callTool({ name, arguments: { message: 'hi' } }).then(
    (r) => (r.isError ? `error: ${textOf(r)}` : textOf(r)),
    (e: Error) => `refused: ${e.message}`,
  );

describe('policy endpoint faults', () => {
  it('500, garbage, a huge body and a foreign signature: last-known-good holds, nothing opens, then it recovers', async () => {
    const org = await startOrg();
    const { gw, client } = await signedInGateway(org);
    const policy = () => gw.gateway.org!.status().policy;
    await expect.poll(() => policy()?.version).toBe('r1');
    expect(await call(client, 'tools__echo')).toBe('hi');
    expect(await call(client, 'tools__crash')).toMatch(/^refused: .*no-crash/);

    const faults: [FaultMode, RegExp][] = [
      ['500', /HTTP 500/],
      // The org requires signed documents, so anything else is refused as unsigned first.
      ['garbage', /not signed|invalid|JSON/],
      // Regression: the whole body was read on every poll (+500 MB for a 256 MB answer).
      ['huge', /more than 16 MB/],
      ['foreign-signature', /signature|signed/],
    ];
    for (const [mode, reason] of faults) {
      const rssBefore = process.memoryUsage().rss;
      org.proxy.state.mode = mode;
      // A new document the laptop cannot get while the fault lasts: it revokes echo.
      await org.writePolicy({
        extraRules: [{ id: `revoked-${mode}`, effect: 'deny', servers: ['tools'], tools: ['echo'] }],
      });
      const requestsBefore = org.proxy.state.policyRequests;
      await expect.poll(() => org.proxy.state.policyRequests, { timeout: 10_000 }).toBeGreaterThan(requestsBefore + 1);
      await expect.poll(() => policy()?.lastError ?? '', { timeout: 10_000 }).toMatch(reason);
      expect(policy()?.version, mode).toBe('r1');
      expect(await call(client, 'tools__echo'), mode).toBe('hi');
      expect(await call(client, 'tools__crash'), mode).toMatch(/^refused: .*no-crash/);
      const grownMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
      console.log(`${mode}: ${policy()?.lastError} (RSS +${grownMb.toFixed(0)} MB)`);
      expect(grownMb, mode).toBeLessThan(120);
    }

    org.proxy.state.mode = 'pass';
    await org.writePolicy({ extraRules: [{ id: 'echo-off', effect: 'deny', servers: ['tools'], tools: ['echo'] }] });
    await expect.poll(() => policy()?.version, { timeout: 10_000 }).toBe(`r${org.revision()}`);
    await expect.poll(() => call(client, 'tools__echo'), { timeout: 5_000 }).toMatch(/^refused: .*echo-off/);
  }, 90_000);

  it('the staleness bound holds while the endpoint answers garbage (an answer is not a confirmation)', async () => {
    const org = await startOrg();
    await org.writePolicy({ staleAfterSeconds: 3 });
    const { gw, client } = await signedInGateway(org);
    await expect.poll(() => gw.gateway.org!.status().policy?.version).toBe('r2');
    org.proxy.state.mode = 'garbage';
    const since = Date.now();
    expect(await call(client, 'tools__echo')).toBe('hi');
    await expect
      .poll(() => call(client, 'tools__echo'), { timeout: 10_000, interval: 200 })
      .toMatch(/could not be confirmed/);
    const closedAfter = (Date.now() - since) / 1000;
    console.log(`fail closed ${closedAfter.toFixed(1)} s after the endpoint turned to garbage (bound 3 s)`);
    expect(closedAfter).toBeLessThan(8);
    // And back: the first good answer opens the org servers again.
    org.proxy.state.mode = 'pass';
    await expect.poll(() => call(client, 'tools__echo'), { timeout: 10_000, interval: 200 }).toBe('hi');
  }, 60_000);

  it('a policy with a thousand servers is applied and the gateway stays responsive', async () => {
    const org = await startOrg();
    const { gw, client } = await signedInGateway(org);
    const remote = await startFaultyUpstream();
    cleanups.push(() => remote.close());
    const many: Record<string, unknown> = { tools: servers.testUpstream() };
    for (let i = 0; i < 1000; i++) many[`svc-${i}`] = { url: remote.url, mode: i < 20 ? 'default-on' : 'default-off' };
    const started = Date.now();
    await org.writePolicy({ servers: many });
    await expect.poll(() => gw.gateway.org!.status().policy?.version, { timeout: 20_000 }).toBe(`r${org.revision()}`);
    await expect.poll(() => gw.gateway.pool.all().length, { timeout: 20_000 }).toBe(1001);
    const applied = Date.now() - started;
    const listStarted = Date.now();
    const names = (await client.listTools()).tools.map((t) => t.name);
    const listed = Date.now() - listStarted;
    console.log(`1000 servers: applied in ${applied} ms, tools/list in ${listed} ms (${names.length} tools)`);
    expect(names).toContain('tools__echo');
    expect(await call(client, 'tools__echo')).toBe('hi');
    expect(await call(client, 'tools__crash')).toMatch(/^refused: .*no-crash/);
    expect(listed).toBeLessThan(10_000);
  }, 90_000);
});

describe('the IdP unreachable when tokens need renewing', () => {
  it('calls that need a fresh IdP token fail clearly and in time, others keep working, the policy holds', async () => {
    const org = await startOrg({ accessTokenTtl: 3 });
    const identity = await startIdentityUpstream({ issuer: org.idp.issuer, jwksUri: org.idp.jwksUri });
    cleanups.push(() => identity.close());
    await org.writePolicy({
      servers: {
        tools: servers.testUpstream(),
        whoami: { url: identity.url, identity: { accessToken: { resource: identity.url } } },
      },
    });
    const { gw, client } = await signedInGateway(org);
    await expect.poll(() => gw.gateway.org!.status().policy?.version).toBe('r2');
    // The org server picks up r2 from its file asynchronously: on a loaded machine the sign-in may
    // have seen r1, which names no token for whoami, and tokens for a resource are granted only at
    // sign-in. Signing in again once r2 is in force is what the user is told to do then.
    await gw.gateway.org!.login({ loginHint: 'alice' });
    await expect.poll(() => call(client, 'whoami__whoami'), { timeout: 10_000 }).toMatch(/"sub":"alice"/);

    await org.idp.stop();
    await new Promise((r) => setTimeout(r, 3_500)); // every access token has expired now
    const started = Date.now();
    const outcome = await call(client, 'whoami__whoami');
    const took = Date.now() - started;
    console.log(`IdP down: whoami -> ${outcome.slice(0, 200)} (${took} ms)`);
    expect(outcome).toMatch(/^(error|refused): /);
    expect(outcome).not.toMatch(/"sub":"alice"/);
    expect(took).toBeLessThan(20_000);
    // A server that needs no IdP token still answers, under the policy in force.
    expect(await call(client, 'tools__echo')).toBe('hi');
    expect(await call(client, 'tools__crash')).toMatch(/^refused: .*no-crash/);
    await expect
      .poll(() => gw.gateway.org!.status().policy?.lastError ?? '', { timeout: 10_000 })
      .toMatch(/token|sign in/i);
    expect(gw.gateway.org!.status().policy?.version).toBe('r2');
  }, 60_000);
});

import fs from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoveryDocumentSchema, verifyPolicySignature } from '../../src-main/core/policy/index.ts';
import { loadSigningKey, startOrgServer } from '../../src-main/org-server/index.ts';
import type { OrgServerOptions, RunningOrgServer } from '../../src-main/org-server/index.ts';
import { makeTempDir, samplePolicy, writePolicyFile } from './support/policy-files.ts';
import { startTestIssuer } from './support/test-issuer.ts';
import type { TestIssuer } from './support/test-issuer.ts';

const AUDIENCE = 'https://org.example.com/policy';

let dir: string;
let issuer: TestIssuer;
let server: RunningOrgServer | undefined;
const logs: string[] = [];
const logger = { info: (m: string) => logs.push(`info ${m}`), error: (m: string) => logs.push(`error ${m}`) };

beforeEach(async () => {
  dir = await makeTempDir('org-server');
  issuer = await startTestIssuer(AUDIENCE);
  logs.length = 0;
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  await issuer.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function start(document: unknown, extra: Partial<OrgServerOptions> = {}): Promise<RunningOrgServer> {
  const policyFile = path.join(dir, 'policy.json');
  await writePolicyFile(policyFile, document);
  server = await startOrgServer({ policyFile, issuer: issuer.issuer, audience: AUDIENCE, logger, ...extra });
  return server;
}

async function getPolicy(token: string | undefined, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server!.url}/policy`, {
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
  });
}

describe('GET /policy', () => {
  it('serves the document to a user whose token verifies, with an ETag and a 304 for the same ETag', async () => {
    await start(samplePolicy(1));
    const token = await issuer.mint({ sub: 'eve', groups: ['engineering'] });
    const first = await getPolicy(token);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(JSON.parse(await first.text())).toMatchObject({ policyVersion: 'rev-1' });

    const again = await getPolicy(token, { 'If-None-Match': etag! });
    expect(again.status).toBe(304);
    expect(await getPolicy(token, { 'If-None-Match': '"something-else"' }).then((r) => r.status)).toBe(200);
  });

  it('refuses missing, foreign-audience, expired and forged tokens with 401', async () => {
    await start(samplePolicy(1));
    const refused = async (token: string | undefined) => {
      const response = await getPolicy(token);
      return { status: response.status, body: (await response.json()) as { message: string } };
    };
    expect(await refused(undefined)).toMatchObject({
      status: 401,
      body: { message: expect.stringContaining('Sign in') },
    });
    expect(await refused(await issuer.mint({ sub: 'x' }, { audience: 'https://other.example.com' }))).toMatchObject({
      status: 401,
      body: { message: expect.stringContaining('"aud"') },
    });
    expect(
      await refused(await issuer.mint({ sub: 'x' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 })),
    ).toMatchObject({
      status: 401,
      body: { message: expect.stringContaining('"exp"') },
    });
    expect((await refused(await issuer.mint({ sub: 'x' }, { key: 'rogue' }))).status).toBe(401);
  });

  it('answers 503, not 401, when the IdP keys cannot be fetched', async () => {
    issuer.setJwksAvailable(false);
    await start(samplePolicy(1));
    const response = await getPolicy(await issuer.mint({ sub: 'x' }));
    expect(response.status).toBe(503);
  });

  it('picks a whole document per user from a variants file, with a default for everyone else', async () => {
    await start({
      variants: [
        { when: { groups: ['engineering'] }, policy: samplePolicy(10) },
        { when: { emailDomain: ['contractor.io'] }, policy: samplePolicy(20) },
      ],
      default: samplePolicy(30, { servers: {}, rules: [] }),
    });
    const versionFor = async (claims: Record<string, unknown>) =>
      ((await (await getPolicy(await issuer.mint(claims))).json()) as { policyVersion: string }).policyVersion;
    expect(await versionFor({ sub: 'a', groups: ['engineering'] })).toBe('rev-10');
    expect(await versionFor({ sub: 'b', email: 'bob@contractor.io' })).toBe('rev-20');
    expect(await versionFor({ sub: 'c', groups: ['sales'] })).toBe('rev-30');
  });

  it('will not start on an invalid policy file, and says where it is wrong', async () => {
    await expect(start({ ...samplePolicy(1), rules: [{ effect: 'allow' }] })).rejects.toThrow(
      /\$\.rules\[0\]\.servers: is required/,
    );
  });
});

describe('signing', () => {
  it('serves a compact JWS that verifies against the public key in the discovery document', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const keyFile = path.join(dir, 'sign-key.pem');
    await fs.writeFile(keyFile, await exportPKCS8(privateKey));
    const signingKey = await loadSigningKey(keyFile);
    expect(signingKey.alg).toBe('ES256');
    expect(signingKey.publicJwk).not.toHaveProperty('d');

    await start(samplePolicy(1), { signingKey, clientId: 'gatehouse-desktop' });
    const response = await getPolicy(await issuer.mint({ sub: 'x' }));
    expect(response.headers.get('content-type')).toMatch(/^application\/jose/);
    const discovery = discoveryDocumentSchema.parse(await (await fetch(`${server!.url}/.well-known/gatehouse`)).json());
    expect(discovery.requirePolicySignature).toBe(true);
    const payload = await verifyPolicySignature(await response.text(), discovery.signingKeys!);
    expect(JSON.parse(payload)).toMatchObject({ policyVersion: 'rev-1' });
  });

  it('reads a private JWK as well, and refuses a public one', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
    const privateFile = path.join(dir, 'private.jwk');
    const publicFile = path.join(dir, 'public.jwk');
    await fs.writeFile(privateFile, JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'k1' }));
    await fs.writeFile(publicFile, JSON.stringify(await exportJWK(publicKey)));
    expect(await loadSigningKey(privateFile)).toMatchObject({ alg: 'EdDSA', kid: 'k1' });
    await expect(loadSigningKey(publicFile)).rejects.toThrow(/needs the private key/);
  });

  it('keeps the same signature and ETag when the file is rewritten unchanged', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const keyFile = path.join(dir, 'k.jwk');
    await fs.writeFile(keyFile, JSON.stringify(await exportJWK(privateKey)));
    await start(samplePolicy(1), { signingKey: await loadSigningKey(keyFile) });
    const token = await issuer.mint({ sub: 'x' });
    const before = (await getPolicy(token)).headers.get('etag');
    await writePolicyFile(path.join(dir, 'policy.json'), samplePolicy(1));
    expect(await server!.reload()).toBe(false);
    expect((await getPolicy(token)).headers.get('etag')).toBe(before);
  });
});

describe('push channel and file watching', () => {
  it('pushes `changed` when the file changes, and ignores an invalid edit while serving the previous version', async () => {
    await start(samplePolicy(1), { heartbeatMs: 100 });
    const token = await issuer.mint({ sub: 'x' });
    const controller = new AbortController();
    try {
      const events = await fetch(`${server!.url}/policy/events`, {
        headers: { Authorization: `Bearer ${token}` },
        signal: controller.signal,
      });
      expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
      let received = '';
      const waitFor = async (text: string) => {
        while (!received.includes(text)) received += (await reader.read()).value ?? '';
      };
      await waitFor(': connected');
      await waitFor(': ping');
      expect(server!.pushClients()).toBe(1);

      await writePolicyFile(path.join(dir, 'policy.json'), { ...samplePolicy(2), servers: 'oops' });
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(received).not.toContain('event: changed');
      expect(logs.some((l) => l.startsWith('error policy file change ignored') && l.includes('$.servers'))).toBe(true);
      expect(JSON.parse(await (await getPolicy(token)).text())).toMatchObject({ policyVersion: 'rev-1' });

      await writePolicyFile(path.join(dir, 'policy.json'), samplePolicy(3));
      await waitFor('event: changed');
      expect(JSON.parse(await (await getPolicy(token)).text())).toMatchObject({ policyVersion: 'rev-3' });
    } finally {
      controller.abort();
    }
  });

  it('requires a token for the push channel too', async () => {
    await start(samplePolicy(1));
    expect((await fetch(`${server!.url}/policy/events`)).status).toBe(401);
  });
});

describe('discovery and audit mount', () => {
  it('publishes what a laptop needs to find the org, and mounts the audit handler behind the token check', async () => {
    const received: unknown[] = [];
    await start(samplePolicy(1), {
      clientId: 'gatehouse-desktop',
      orgName: 'Acme',
      contact: 'it-help@example.com',
      auditHandler: (req, res) => {
        received.push(res.locals.claims.sub);
        req.resume();
        res.status(202).end();
      },
    });
    const discovery = discoveryDocumentSchema.parse(await (await fetch(`${server!.url}/.well-known/gatehouse`)).json());
    expect(discovery).toEqual({
      orgName: 'Acme',
      issuer: issuer.issuer,
      clientId: 'gatehouse-desktop',
      policyEndpoint: `${server!.url}/policy`,
      policyResource: AUDIENCE,
      auditEndpoint: `${server!.url}/audit`,
      contact: 'it-help@example.com',
    });
    expect((await fetch(`${server!.url}/audit`, { method: 'POST', body: '[]' })).status).toBe(401);
    const token = await issuer.mint({ sub: 'eve' });
    const posted = await fetch(`${server!.url}/audit`, {
      method: 'POST',
      body: '[]',
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(posted.status).toBe(202);
    expect(received).toEqual(['eve']);
  });
});

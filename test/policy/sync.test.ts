import fs from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  clearPolicyCache,
  createPolicySync,
  isPolicyUsable,
  policyCacheFile,
  readCachedPolicy,
  signPolicy,
} from '../../src-main/core/policy/index.ts';
import type {
  PolicyDocument,
  PolicySync,
  PolicySyncOptions,
  PolicySyncStatus,
} from '../../src-main/core/policy/index.ts';
import { loadSigningKey, startOrgServer } from '../../src-main/org-server/index.ts';
import type { RunningOrgServer } from '../../src-main/org-server/index.ts';
import { makeTempDir, samplePolicy, writePolicyFile } from './support/policy-files.ts';
import { startStaticEndpoint, waitFor } from './support/static-endpoint.ts';
import { startTestIssuer } from './support/test-issuer.ts';
import type { TestIssuer } from './support/test-issuer.ts';

const AUDIENCE = 'https://org.example.com/policy';
const NEVER_POLL = 10 * 60_000;

let dir: string;
let policyFile: string;
let issuer: TestIssuer;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  dir = await makeTempDir('policy-sync');
  policyFile = path.join(dir, 'policy.json');
  issuer = await startTestIssuer(AUDIENCE);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await issuer.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function startServer(
  document: unknown,
  extra: { signKeyFile?: string; port?: number } = {},
): Promise<RunningOrgServer> {
  await writePolicyFile(policyFile, document);
  const server = await startOrgServer({
    policyFile,
    issuer: issuer.issuer,
    audience: AUDIENCE,
    jwksUri: issuer.jwksUri,
    port: extra.port ?? 0,
    signingKey: extra.signKeyFile ? await loadSigningKey(extra.signKeyFile) : undefined,
    logger: { info: () => {}, error: () => {} },
  });
  let closed = false;
  cleanups.push(async () => {
    if (!closed) await server.close();
  });
  const close = server.close;
  server.close = async () => {
    closed = true;
    await close();
  };
  return server;
}

type Harness = {
  sync: PolicySync;
  changes: string[];
  statuses: PolicySyncStatus[];
  warnings: string[];
  responses: number[];
};

function startSync(endpoint: string, extra: Partial<PolicySyncOptions> = {}): Harness {
  const h: Harness = {
    sync: undefined as unknown as PolicySync,
    changes: [],
    statuses: [],
    warnings: [],
    responses: [],
  };
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (!String(input).endsWith('/events')) h.responses.push(response.status);
    return response;
  };
  h.sync = createPolicySync({
    endpoint,
    getAccessToken: () => issuer.mint({ sub: 'eve', groups: ['engineering'] }),
    cacheDir: path.join(dir, 'data'),
    pollIntervalMs: NEVER_POLL,
    fetch: recordingFetch,
    onChange: (policy) => h.changes.push(policy.policyVersion),
    onStatus: (status) => h.statuses.push(status),
    logger: { info: () => {}, warn: (m) => h.warnings.push(m) },
    ...extra,
  });
  cleanups.push(() => h.sync.stop());
  return h;
}

async function newSigningKey(): Promise<{ file: string; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const file = path.join(dir, `key-${Math.random().toString(36).slice(2)}.jwk`);
  await fs.writeFile(file, JSON.stringify({ ...(await exportJWK(privateKey)), kid: path.basename(file) }));
  return { file, publicJwk: { ...(await exportJWK(publicKey)), kid: path.basename(file), alg: 'ES256' } };
}

describe('policy sync against the reference org server', () => {
  it('fetches with the bearer token, keeps a 0600 disk copy, and then gets 304 for the same ETag', async () => {
    const server = await startServer(samplePolicy(1));
    const h = startSync(`${server.url}/policy`, { push: false });
    await h.sync.start();
    expect(h.sync.current()?.policyVersion).toBe('rev-1');
    expect(h.changes).toEqual(['rev-1']);
    expect(h.sync.status()).toMatchObject({
      state: 'ok',
      version: 'rev-1',
      ageSeconds: 0,
      lastError: null,
      signed: false,
    });
    const stat = await fs.stat(policyCacheFile(path.join(dir, 'data')));
    expect(stat.mode & 0o777).toBe(0o600);

    await h.sync.refresh();
    expect(h.responses).toEqual([200, 304]);
    expect(h.changes).toEqual(['rev-1']);

    // Commands that only read the policy get the same checked copy; sign-out forgets it.
    const cacheDir = path.join(dir, 'data');
    expect(await readCachedPolicy({ cacheDir, endpoint: `${server.url}/policy` })).toMatchObject({
      policyVersion: 'rev-1',
    });
    expect(await readCachedPolicy({ cacheDir, endpoint: 'https://other-org.example.com/policy' })).toBeUndefined();
    expect(
      await readCachedPolicy({ cacheDir, endpoint: `${server.url}/policy`, requireSignature: true }),
    ).toBeUndefined();
    await clearPolicyCache(cacheDir);
    expect(await readCachedPolicy({ cacheDir, endpoint: `${server.url}/policy` })).toBeUndefined();
  });

  it('a change to the policy file reaches a running client through the push channel in under 5 s', async () => {
    const server = await startServer(samplePolicy(1));
    const h = startSync(`${server.url}/policy`);
    await h.sync.start();
    await waitFor(() => h.sync.status().pushConnected && server.pushClients() === 1, 5000, 'the push channel');
    await waitFor(() => h.responses.length >= 2, 5000, 'the refetch on connect');

    const changedAt = performance.now();
    await writePolicyFile(policyFile, samplePolicy(2, { rules: [] }));
    await waitFor(() => h.sync.current()?.policyVersion === 'rev-2', 5000, 'the new version');
    const delayMs = performance.now() - changedAt;
    console.log(`policy file changed -> sync client has the new version: ${delayMs.toFixed(0)} ms`);
    expect(delayMs).toBeLessThan(5000);
    expect(h.changes).toEqual(['rev-1', 'rev-2']);
  });

  it('reconnects the push channel after the org server restarts and picks up what changed meanwhile', async () => {
    const server = await startServer(samplePolicy(1));
    const h = startSync(`${server.url}/policy`);
    await h.sync.start();
    await waitFor(() => h.sync.status().pushConnected, 5000, 'the push channel');
    await server.close();
    await waitFor(() => !h.sync.status().pushConnected, 5000, 'the disconnect');
    await startServer(samplePolicy(5), { port: server.port });
    await waitFor(
      () => h.sync.current()?.policyVersion === 'rev-5',
      10_000,
      'the version published while disconnected',
    );
    expect(h.sync.status()).toMatchObject({ state: 'ok', pushConnected: true });
  });

  it('endpoint down: the last-known-good policy holds until the staleness bound, then the status is stale', async () => {
    const server = await startServer(samplePolicy(1, { staleAfterSeconds: 60 }));
    const clock = { now: Date.now() };
    const h = startSync(`${server.url}/policy`, { push: false, now: () => clock.now });
    await h.sync.start();
    await server.close();

    clock.now += 30_000;
    await h.sync.refresh();
    expect(h.sync.current()?.policyVersion).toBe('rev-1');
    expect(h.sync.status()).toMatchObject({ state: 'error', version: 'rev-1', ageSeconds: 30, staleAfterSeconds: 60 });
    expect(h.sync.status().lastError).toMatch(/cannot be reached/);
    expect(h.warnings.filter((w) => w.includes('stays'))).toHaveLength(1);

    expect(isPolicyUsable(h.sync.status())).toBe(true);
    clock.now += 30_000;
    expect(h.sync.status()).toMatchObject({ state: 'stale', ageSeconds: 60 });
    expect(isPolicyUsable(h.sync.status())).toBe(false);
    expect(h.statuses.map((s) => s.state)).toEqual(['none', 'ok', 'error']);
    await h.sync.stop();

    // A restart while still offline starts from the disk copy, with its age carried over.
    const restarted = startSync(`${server.url}/policy`, { push: false, now: () => clock.now - 50_000 });
    await restarted.sync.start();
    expect(restarted.changes).toEqual(['rev-1']);
    expect(restarted.sync.status()).toMatchObject({ state: 'error', version: 'rev-1', ageSeconds: 10 });
  });

  it('reports stale through onStatus when the bound passes, without any fetch', async () => {
    const server = await startServer(samplePolicy(1, { staleAfterSeconds: 1 }));
    const h = startSync(`${server.url}/policy`, { push: false });
    await h.sync.start();
    await server.close();
    const started = Date.now();
    await waitFor(() => h.statuses.some((s) => s.state === 'stale'), 3000, 'the stale status');
    expect(Date.now() - started).toBeLessThan(2500);
    expect(h.responses).toEqual([200]);
  });

  it('no token (signed out): error status that says to sign in, the policy in force stays', async () => {
    const server = await startServer(samplePolicy(1));
    let signedIn = true;
    const h = startSync(`${server.url}/policy`, {
      push: false,
      getAccessToken: async () => {
        if (!signedIn) throw new Error('not signed in');
        return issuer.mint({ sub: 'eve' });
      },
    });
    await h.sync.start();
    signedIn = false;
    await h.sync.refresh();
    expect(h.sync.status()).toMatchObject({ state: 'error', version: 'rev-1' });
    expect(h.sync.status().lastError).toBe('no access token to fetch the policy (sign in again): not signed in');
  });
});

describe('signed policies', () => {
  it('a tampered signed policy is rejected with the reason logged, and the previous one stays in force', async () => {
    const key = await newSigningKey();
    const server = await startServer(samplePolicy(1), { signKeyFile: key.file });
    let tamper = false;
    const tamperingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!tamper || response.status !== 200) return response;
      // A network attacker swaps in a payload that lets everyone in, keeping the signature.
      const [header, , signature] = (await response.text()).split('.');
      const forged = { ...samplePolicy(2), rules: [{ effect: 'allow', servers: ['*'] }] };
      const body = `${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`;
      return new Response(body, { status: 200, headers: response.headers });
    };
    const h = startSync(`${server.url}/policy`, {
      push: false,
      fetch: tamperingFetch,
      signingKeys: [key.publicJwk],
      requireSignature: true,
    });
    await h.sync.start();
    expect(h.sync.status()).toMatchObject({ state: 'ok', version: 'rev-1', signed: true });

    await writePolicyFile(policyFile, samplePolicy(2));
    await server.reload();
    tamper = true;
    await h.sync.refresh();
    expect(h.sync.current()?.policyVersion).toBe('rev-1');
    expect(h.sync.status()).toMatchObject({ state: 'error', version: 'rev-1' });
    expect(h.sync.status().lastError).toBe(
      'the policy signature does not match its content (tampered with or corrupted)',
    );
    expect(h.warnings).toEqual([
      expect.stringMatching(
        /^rejected the policy from http.*: the policy signature does not match its content .*; the policy in force \(rev-1\) stays\.$/,
      ),
    ]);

    tamper = false;
    await h.sync.refresh();
    expect(h.sync.status()).toMatchObject({ state: 'ok', version: 'rev-2', lastError: null });
  });

  it('rejects an unsigned document when a signature is required, and one signed by a key the org does not list', async () => {
    const orgKey = await newSigningKey();
    const otherKey = await newSigningKey();
    const server = await startServer(samplePolicy(1));
    const unsigned = startSync(`${server.url}/policy`, {
      push: false,
      signingKeys: [orgKey.publicJwk],
      requireSignature: true,
    });
    await unsigned.sync.start();
    expect(unsigned.sync.status()).toMatchObject({
      state: 'none',
      lastError: 'the policy is not signed, but the org requires a signed policy',
    });
    expect(unsigned.changes).toEqual([]);
    await unsigned.sync.stop();

    await server.close();
    const signedByOther = await startServer(samplePolicy(1), { signKeyFile: otherKey.file });
    const foreign = startSync(`${signedByOther.url}/policy`, { push: false, signingKeys: [orgKey.publicJwk] });
    await foreign.sync.start();
    expect(foreign.sync.status()).toMatchObject({ state: 'none' });
    expect(foreign.sync.status().lastError).toMatch(/not one of the org signing keys/);
  });

  it('rejects a replayed, older signed document (rollback) and keeps the newer one', async () => {
    const key = await newSigningKey();
    const { key: privateKey, alg, kid } = await loadSigningKey(key.file);
    const endpoint = await startStaticEndpoint();
    cleanups.push(() => endpoint.close());
    const sign = (doc: PolicyDocument) => signPolicy(JSON.stringify(doc), privateKey, { alg, kid });
    const older = await sign(samplePolicy(1));
    endpoint.set(await sign(samplePolicy(2)), 'application/jose');
    const h = startSync(endpoint.url, { signingKeys: [key.publicJwk] });
    await h.sync.start();
    expect(h.sync.status()).toMatchObject({ state: 'ok', version: 'rev-2', signed: true });

    endpoint.set(older, 'application/jose');
    await h.sync.refresh();
    expect(h.sync.current()?.policyVersion).toBe('rev-2');
    expect(h.sync.status().lastError).toMatch(/issued 2025-01-01T00:00:01.000Z, before the one in force/);
  });

  it('does not trust a disk copy that was edited: a signed cache is checked again on load', async () => {
    const key = await newSigningKey();
    const server = await startServer(samplePolicy(1), { signKeyFile: key.file });
    const h = startSync(`${server.url}/policy`, { push: false, signingKeys: [key.publicJwk], requireSignature: true });
    await h.sync.start();
    await h.sync.stop();
    await server.close();

    const cacheFile = policyCacheFile(path.join(dir, 'data'));
    const entry = JSON.parse(await fs.readFile(cacheFile, 'utf8'));
    const [header, , signature] = entry.body.split('.');
    entry.body = `${header}.${Buffer.from(JSON.stringify({ ...samplePolicy(1), rules: [{ effect: 'allow', servers: ['*'] }] })).toString('base64url')}.${signature}`;
    await fs.writeFile(cacheFile, JSON.stringify(entry));

    const restarted = startSync(`${server.url}/policy`, {
      push: false,
      signingKeys: [key.publicJwk],
      requireSignature: true,
    });
    await restarted.sync.start();
    expect(restarted.sync.current()).toBeUndefined();
    expect(restarted.sync.status().state).toBe('none');
    expect(restarted.warnings[0]).toMatch(/^ignored the last-known-good policy .*tampered/);
  });
});

describe('documents the client must refuse', () => {
  it('an invalid document is rejected with its errors, the previous one stays, and the poll keeps trying', async () => {
    const endpoint = await startStaticEndpoint();
    cleanups.push(() => endpoint.close());
    endpoint.set(JSON.stringify(samplePolicy(1)));
    const h = startSync(endpoint.url, { pollIntervalMs: 50 });
    await h.sync.start();
    expect(h.sync.status()).toMatchObject({ state: 'ok', version: 'rev-1', pushConnected: false });

    endpoint.set(JSON.stringify({ ...samplePolicy(2), rules: [{ effect: 'allow', servers: ['*'], tool: ['x'] }] }));
    await waitFor(() => h.sync.status().state === 'error', 3000, 'the rejection');
    expect(h.sync.current()?.policyVersion).toBe('rev-1');
    expect(h.sync.status().lastError).toBe(
      'the policy document is invalid: $.rules[0].tool: unknown field "tool" (did you mean "tools"?)',
    );
    const requestsAtRejection = endpoint.requests;
    await waitFor(() => endpoint.requests >= requestsAtRejection + 2, 3000, 'further polls');
    expect(h.warnings).toHaveLength(1);

    endpoint.set('<html>maintenance</html>', 'text/html');
    await waitFor(() => /not valid JSON/.test(h.sync.status().lastError ?? ''), 3000, 'the HTML rejection');
    expect(h.sync.current()?.policyVersion).toBe('rev-1');
  });
});

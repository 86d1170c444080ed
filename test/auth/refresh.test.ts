import fs from 'node:fs/promises';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src-main/core/auth/index.ts';
import { startTestIdp } from '../support/idp.ts';
import type { TestIdp } from '../support/idp.ts';
import { countGrants, makeAuthClient, makeTempDir } from './fixtures.ts';

const UPSTREAM = 'http://127.0.0.1:7777/mcp';
const OTHER_UPSTREAM = 'http://127.0.0.1:7778/mcp';

let idp: TestIdp | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  await idp?.stop();
  idp = undefined;
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

/** A clock the test moves forward, so "expired" needs no waiting. */
function manualClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => void (offset += ms) };
}

async function storedRefreshToken(file: string): Promise<string> {
  const document = JSON.parse(await fs.readFile(file, 'utf8'));
  return JSON.parse(document.secrets['auth.session']).refreshToken;
}

describe('access tokens', () => {
  it('renews an access token the IdP has expired, silently', async () => {
    idp = await startTestIdp({ ttl: { accessToken: 2 } });
    dataDir = await makeTempDir();
    const grants = countGrants(idp);
    const { client } = makeAuthClient(idp, dataDir);
    await client.login({ loginHint: 'alice' });
    const first = await client.getAccessToken();
    expect((await idp.introspect(first)).active).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, 2_200));
    expect((await idp.introspect(first)).active).toBe(false);

    const second = await client.getAccessToken();
    expect(second).not.toBe(first);
    expect(await idp.introspect(second)).toMatchObject({ active: true, sub: 'alice' });
    expect(grants.refresh).toBe(1);
  });

  it('serves the cached token until 80 % of its lifetime, then renews ahead of expiry', async () => {
    idp = await startTestIdp({ ttl: { accessToken: 100 } });
    dataDir = await makeTempDir();
    const clock = manualClock();
    const grants = countGrants(idp);
    const { client } = makeAuthClient(idp, dataDir, { now: clock.now });
    await client.login({ loginHint: 'alice' });
    const first = await client.getAccessToken();
    clock.advance(79_000);
    expect(await client.getAccessToken()).toBe(first);
    expect(grants.refresh).toBe(0);
    clock.advance(2_000);
    expect(await client.getAccessToken()).not.toBe(first);
    expect(grants.refresh).toBe(1);
  });

  it('20 concurrent callers with an expired token cause exactly one refresh and no grant revocation', async () => {
    idp = await startTestIdp();
    dataDir = await makeTempDir();
    const clock = manualClock();
    const grants = countGrants(idp);
    const { client, store } = makeAuthClient(idp, dataDir, { now: clock.now });
    await client.login({ loginHint: 'alice' });
    const before = await storedRefreshToken(store.file);
    clock.advance(301_000);

    const results = await Promise.all(Array.from({ length: 20 }, () => client.getAccessToken()));

    expect(new Set(results).size).toBe(1);
    expect(grants.refresh).toBe(1);
    expect(grants.revokedGrants).toBe(0);
    const after = await storedRefreshToken(store.file);
    expect(after).not.toBe(before); // rotated, and the new one persisted
    expect((await idp.introspect(results[0]!)).active).toBe(true);
    // The session still works: the persisted rotated token is accepted.
    clock.advance(301_000);
    expect(await client.getAccessToken()).not.toBe(results[0]);
    expect(grants.revokedGrants).toBe(0);
  });

  it('gives each upstream its own JWT, verifiable against the IdP JWKS, with the user identity inside', async () => {
    idp = await startTestIdp();
    dataDir = await makeTempDir();
    const grants = countGrants(idp);
    const { client } = makeAuthClient(idp, dataDir, { resources: [UPSTREAM, OTHER_UPSTREAM] });
    await client.login({ loginHint: 'alice' });

    const [forUpstream, forOther] = await Promise.all([
      client.getAccessToken({ resource: UPSTREAM }),
      client.getAccessToken({ resource: OTHER_UPSTREAM }),
    ]);

    const jwks = createRemoteJWKSet(new URL(idp.jwksUri));
    const { payload, protectedHeader } = await jwtVerify(forUpstream, jwks, {
      issuer: idp.issuer,
      audience: UPSTREAM,
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      sub: 'alice',
      email: 'alice@example.test',
      groups: ['eng', 'mcp-admins'],
      roles: ['admin'],
      team: 'platform',
      client_id: 'gatehouse',
    });
    await expect(jwtVerify(forOther, jwks, { issuer: idp.issuer, audience: UPSTREAM })).rejects.toThrow(/aud/);
    expect(decodeJwt(forOther).aud).toBe(OTHER_UPSTREAM);
    // Two resources, two refresh grants, run one after the other on the rotating refresh token.
    expect(grants.refresh).toBe(2);
    expect(grants.revokedGrants).toBe(0);
    expect(await client.getAccessToken({ resource: UPSTREAM })).toBe(forUpstream);
  });

  it('refuses a resource that was not requested at sign-in without asking the IdP, and the session survives', async () => {
    idp = await startTestIdp();
    dataDir = await makeTempDir();
    const grants = countGrants(idp);
    const { client } = makeAuthClient(idp, dataDir, { resources: [UPSTREAM] });
    await client.login({ loginHint: 'bob' });

    await expect(client.getAccessToken({ resource: OTHER_UPSTREAM })).rejects.toMatchObject({
      code: 'resource_not_granted',
    });
    expect(grants.refresh).toBe(0);
    expect(decodeJwt(await client.getAccessToken({ resource: UPSTREAM })).email).toBe('bob@example.test');
  });

  it('forceRefresh after a 401 replaces the token once, however many callers saw the 401', async () => {
    idp = await startTestIdp();
    dataDir = await makeTempDir();
    const grants = countGrants(idp);
    const { client } = makeAuthClient(idp, dataDir);
    await client.login({ loginHint: 'alice' });
    const rejected = await client.getAccessToken();

    const renewed = await Promise.all(
      Array.from({ length: 5 }, () => client.forceRefresh({ rejectedToken: rejected })),
    );

    expect(new Set(renewed).size).toBe(1);
    expect(renewed[0]).not.toBe(rejected);
    expect(grants.refresh).toBe(1);
    expect(await client.forceRefresh({ rejectedToken: rejected })).toBe(renewed[0]);
    expect(grants.refresh).toBe(1);
  });

  it('ends the session with refresh_failed when the IdP has revoked the grant', async () => {
    idp = await startTestIdp();
    dataDir = await makeTempDir();
    const clock = manualClock();
    const { client, store } = makeAuthClient(idp, dataDir, { now: clock.now });
    await client.login({ loginHint: 'alice' });
    const events: SessionEvent[] = [];
    client.onSessionChange((event) => events.push(event));
    // An admin revokes the user's sign-in at the IdP.
    const refreshToken = await storedRefreshToken(store.file);
    const revoked = await fetch(`${idp.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken, client_id: idp.clientId }),
    });
    expect(revoked.status).toBe(200);
    clock.advance(301_000);

    await expect(client.getAccessToken()).rejects.toMatchObject({ code: 'refresh_failed' });
    expect(events.map((e) => e.type)).toEqual(['refresh-failed', 'signed-out']);
    expect(events[0]).toMatchObject({ sessionEnded: true });
    expect(await client.currentUser()).toBeUndefined();
    await expect(client.getAccessToken()).rejects.toMatchObject({ code: 'not_signed_in' });
  });

  it('keeps using a still-valid token when renewal ahead of expiry finds the IdP down', async () => {
    idp = await startTestIdp({ ttl: { accessToken: 100 } });
    dataDir = await makeTempDir();
    const clock = manualClock();
    const { client } = makeAuthClient(idp, dataDir, { now: clock.now, requestTimeoutSeconds: 2 });
    await client.login({ loginHint: 'alice' });
    const token = await client.getAccessToken();
    await idp.stop();
    idp = undefined;

    clock.advance(85_000);
    expect(await client.getAccessToken()).toBe(token);
    clock.advance(15_000);
    await expect(client.getAccessToken()).rejects.toMatchObject({ code: 'idp_unreachable' });
    expect(await client.currentUser()).toMatchObject({ sub: 'alice' }); // still signed in: only the network failed
  });
});

import fs from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createAuthClient, readSignInStatus } from '../../src-main/core/auth/index.ts';
import { FileSecretStore } from '../../src-main/core/secrets/index.ts';
import { startTestIdp } from '../support/idp.ts';
import type { TestIdp } from '../support/idp.ts';
import { countGrants, makeAuthClient, makeTempDir } from './fixtures.ts';

let idp: TestIdp;
let dataDir: string;

beforeAll(async () => {
  idp = await startTestIdp();
});
afterAll(async () => {
  await idp?.stop();
});
afterEach(async () => {
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

describe('sign-in with authorization code + PKCE on a loopback redirect', () => {
  it('signs alice in headlessly and returns her claims', async () => {
    dataDir = await makeTempDir();
    const { client, browser } = makeAuthClient(idp, dataDir);
    const events: string[] = [];
    client.onSessionChange((event) => events.push(event.type));

    const user = await client.login({ loginHint: 'alice' });

    expect(user).toMatchObject({
      sub: 'alice',
      email: 'alice@example.test',
      name: 'Alice Example',
      groups: ['eng', 'mcp-admins'],
      roles: ['admin'],
      team: 'platform',
    });
    expect(user.claims).not.toHaveProperty('nonce');
    expect(events).toEqual(['signed-in']);
    const authorizeUrl = new URL(browser.opened[0]!);
    expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizeUrl.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const landing = await browser.pages[0]!;
    expect(landing.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/);
    expect(landing.status).toBe(200);
    expect(landing.body).toContain('Signed in to Gatehouse as alice@example.test');
    expect(await client.currentUser()).toMatchObject({ sub: 'alice' });
  });

  it('signs bob in with his own groups, and a new client instance finds him in the secret store', async () => {
    dataDir = await makeTempDir();
    const { client } = makeAuthClient(idp, dataDir);
    await client.login({ loginHint: 'bob' });

    const status = await readSignInStatus(new FileSecretStore({ dataDir }));
    expect(status).toMatchObject({
      signedIn: true,
      issuer: idp.issuer,
      clientId: 'gatehouse',
      canRefresh: true,
      user: { sub: 'bob', email: 'bob@example.test' },
      store: { kind: 'file', protected: false },
    });
    expect(status.signedIn && status.idTokenExpiresAt).toBeGreaterThan(Date.now());

    const later = makeAuthClient(idp, dataDir).client;
    expect(await later.currentUser()).toMatchObject({ sub: 'bob', groups: ['sales'], roles: [], team: 'gtm' });
    expect(await later.getAccessToken()).toEqual(expect.any(String));
  });

  it('keeps access tokens out of the secret store and stores the refresh token in a 0600 file', async () => {
    dataDir = await makeTempDir();
    const { client, store } = makeAuthClient(idp, dataDir);
    await client.login({ loginHint: 'alice' });
    const accessToken = await client.getAccessToken();

    const text = await fs.readFile(store.file, 'utf8');
    expect(text).not.toContain(accessToken);
    const session = JSON.parse(JSON.parse(text).secrets['auth.session']);
    expect(session.refreshToken).toEqual(expect.any(String));
    expect((await fs.stat(store.file)).mode & 0o777).toBe(0o600);
  });

  it('fails with login_timeout when the browser never comes back, and frees the port', async () => {
    dataDir = await makeTempDir();
    let redirectUri = '';
    const client = createAuthClient({
      issuer: idp.issuer,
      clientId: idp.clientId,
      secretStore: new FileSecretStore({ dataDir }),
      allowInsecureHttp: true,
      openBrowser: async (url) => {
        redirectUri = new URL(url).searchParams.get('redirect_uri')!;
      },
    });
    const error = await client.login({ timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe('login_timeout');
    await expect(fetch(redirectUri)).rejects.toThrow();
    expect(await client.currentUser()).toBeUndefined();
  });

  it('ignores a callback with a foreign state and completes with the real one', async () => {
    dataDir = await makeTempDir();
    const grants = countGrants(idp);
    const { client, browser } = makeAuthClient(idp, dataDir, {
      openBrowser: async (url) => {
        const redirectUri = new URL(url).searchParams.get('redirect_uri')!;
        const forged = await fetch(`${redirectUri}?code=forged&state=not-the-one`);
        expect(forged.status).toBe(400);
        await forged.text();
        await inner.openBrowser(url);
      },
    });
    const inner = browser;
    const user = await client.login({ loginHint: 'bob' });
    expect(user.sub).toBe('bob');
    expect(grants.code).toBe(1);
  });

  it('reports login_denied when the IdP sends the user back with access_denied, and says so in the tab', async () => {
    dataDir = await makeTempDir();
    let page: Promise<Response> | undefined;
    const { client } = makeAuthClient(idp, dataDir, {
      openBrowser: async (url) => {
        // What the IdP does when the user presses "cancel": redirect back with an error.
        const request = new URL(url).searchParams;
        const callback = new URL(request.get('redirect_uri')!);
        callback.search = new URLSearchParams({
          error: 'access_denied',
          state: request.get('state')!,
          iss: idp.issuer,
        }).toString();
        page = fetch(callback);
      },
    });
    await expect(client.login()).rejects.toMatchObject({ code: 'login_denied' });
    const response = await page!;
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('refused the sign-in (access_denied)');
  });

  it('reports login_cancelled when the caller aborts', async () => {
    dataDir = await makeTempDir();
    const controller = new AbortController();
    const { client } = makeAuthClient(idp, dataDir, { openBrowser: async () => controller.abort() });
    await expect(client.login({ signal: controller.signal })).rejects.toMatchObject({ code: 'login_cancelled' });
  });

  it('reports browser_failed with the address to open by hand', async () => {
    dataDir = await makeTempDir();
    const { client } = makeAuthClient(idp, dataDir, {
      openBrowser: async () => {
        throw new Error('no browser here');
      },
    });
    const error = (await client.login().catch((e: unknown) => e)) as AuthError;
    expect(error.code).toBe('browser_failed');
    expect(error.message).toContain(`${idp.issuer}/auth?`);
  });

  it('refuses plain http issuers unless allowed, and never off loopback', async () => {
    dataDir = await makeTempDir();
    const base = {
      clientId: 'gatehouse',
      secretStore: new FileSecretStore({ dataDir }),
      openBrowser: async () => undefined,
    };
    const local = createAuthClient({ ...base, issuer: idp.issuer });
    await expect(local.login()).rejects.toMatchObject({ code: 'insecure_issuer' });
    const remote = createAuthClient({ ...base, issuer: 'http://idp.example.com', allowInsecureHttp: true });
    await expect(remote.login()).rejects.toMatchObject({ code: 'insecure_issuer' });
  });

  it('reports idp_unreachable when the IdP is down', async () => {
    dataDir = await makeTempDir();
    const down = await startTestIdp();
    await down.stop();
    const { client } = makeAuthClient(down, dataDir);
    const error = (await client.login().catch((e: unknown) => e)) as AuthError;
    expect(error.code).toBe('idp_unreachable');
    expect(error.message).toContain(down.issuer);
    expect(error.cause).toBeDefined();
  });
});

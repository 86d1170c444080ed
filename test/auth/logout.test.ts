import fs from 'node:fs/promises';
import * as oidc from 'openid-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src-main/core/auth/index.ts';
import { startTestIdp } from '../support/idp.ts';
import type { TestIdp } from '../support/idp.ts';
import { makeAuthClient, makeTempDir } from './fixtures.ts';

let idp: TestIdp | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  await idp?.stop();
  idp = undefined;
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

describe('sign-out', () => {
  it('revokes the sign-in at the IdP and empties the secret store', async () => {
    idp = await startTestIdp();
    dataDir = await makeTempDir();
    const { client, store } = makeAuthClient(idp, dataDir);
    await client.login({ loginHint: 'alice' });
    const accessToken = await client.getAccessToken();
    const refreshToken = JSON.parse((await store.get('auth.session'))!).refreshToken as string;
    const events: SessionEvent[] = [];
    client.onSessionChange((event) => events.push(event));

    expect(await client.logout()).toEqual({ wasSignedIn: true, revoked: true });

    expect(events).toEqual([{ type: 'signed-out', reason: 'logout' }]);
    expect(await store.get('auth.session')).toBeUndefined();
    expect(JSON.parse(await fs.readFile(store.file, 'utf8')).secrets).toEqual({});
    expect((await idp.introspect(accessToken)).active).toBe(false);
    expect((await idp.introspect(refreshToken)).active).toBe(false);
    // A later refresh with the old refresh token fails: the grant is gone at the IdP.
    const config = await oidc.discovery(new URL(idp.issuer), idp.clientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    await expect(oidc.refreshTokenGrant(config, refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await client.currentUser()).toBeUndefined();
    await expect(client.getAccessToken()).rejects.toMatchObject({ code: 'not_signed_in' });
  });

  it('signs out locally at once even when the IdP cannot be told', async () => {
    idp = await startTestIdp();
    dataDir = await makeTempDir();
    const { client, store } = makeAuthClient(idp, dataDir, { requestTimeoutSeconds: 2 });
    await client.login({ loginHint: 'bob' });
    await idp.stop();
    idp = undefined;

    const result = await client.logout();

    expect(result).toMatchObject({ wasSignedIn: true, revoked: false, error: { code: 'idp_unreachable' } });
    expect(await store.get('auth.session')).toBeUndefined();
    expect(await client.currentUser()).toBeUndefined();
  });

  it('is harmless when nobody is signed in', async () => {
    idp = await startTestIdp();
    dataDir = await makeTempDir();
    const { client } = makeAuthClient(idp, dataDir);
    expect(await client.logout()).toEqual({ wasSignedIn: false, revoked: false });
  });
});

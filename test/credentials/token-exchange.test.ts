import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { makeAuthClient, makeTempDir } from '../auth/fixtures.ts';
import { startTestIdp } from '../support/idp.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

describe('RFC 8693 token exchange at the test IdP (oidc-provider custom grant)', () => {
  it('exchanges the sign-in token for a JWT minted for the requested audience, for the same user', async () => {
    const idp = await startTestIdp();
    cleanups.push(() => idp.stop());
    const { client } = makeAuthClient(idp, await makeTempDir());
    await client.login({ loginHint: 'alice' });

    const exchanged = await client.exchangeToken({ audience: 'https://linear.example.test/mcp' });

    const claims = decodeJwt(exchanged.accessToken);
    expect(claims).toMatchObject({
      aud: 'https://linear.example.test/mcp',
      sub: 'alice',
      iss: idp.issuer,
      email: 'alice@example.test',
      groups: ['eng', 'mcp-admins'],
    });
    expect(exchanged.expiresIn).toBeGreaterThan(0);
  });

  it('refuses a subject token the IdP did not issue, with the IdP error in the message', async () => {
    const idp = await startTestIdp();
    cleanups.push(() => idp.stop());
    const response = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: idp.clientId,
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: 'made-up',
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: 'https://linear.example.test/mcp',
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { makeAuthClient, makeTempDir } from '../auth/fixtures.ts';
import { TEST_POLICY_RESOURCE } from '../support/org-gateway.ts';
import { SECRETS, startCredentialOrg, type CredentialOrg } from './support.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

async function tokenFor(org: CredentialOrg, user: string): Promise<string> {
  const { client } = makeAuthClient(org.idp, await makeTempDir());
  await client.login({ loginHint: user, resources: [TEST_POLICY_RESOURCE] });
  return client.getAccessToken({ resource: TEST_POLICY_RESOURCE });
}

async function secretsAs(org: CredentialOrg, token: string | undefined): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${org.orgServer.url}/policy/secrets`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, body: await response.json() };
}

describe("the reference org server's secret delivery", () => {
  it('gives each user only the secrets of the servers the policy allows them, and nothing without a token', async () => {
    const org = await startCredentialOrg(cleanups);

    const alice = await secretsAs(org, await tokenFor(org, 'alice'));
    expect(alice).toEqual({
      status: 200,
      body: { secrets: { 'linear-key': SECRETS['linear-key'], 'envy-token': SECRETS['envy-token'] } },
    });
    // bob (sales) is allowed no server: no secret at all.
    expect(await secretsAs(org, await tokenFor(org, 'bob'))).toEqual({ status: 200, body: { secrets: {} } });
    expect((await secretsAs(org, undefined)).status).toBe(401);
    expect((await secretsAs(org, 'not-a-token')).status).toBe(401);

    // Taking linear away in the policy takes its secret away at once.
    await org.writePolicy({ denyLinear: true });
    await expect
      .poll(async () => (await secretsAs(org, await tokenFor(org, 'alice'))).body, { timeout: 5_000 })
      .toEqual({ secrets: { 'envy-token': SECRETS['envy-token'] } });
  });
});

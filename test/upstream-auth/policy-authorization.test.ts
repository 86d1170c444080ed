// Org mode: a policy server that gets its Authorization header from the policy (an org secret, a
// key the user enters, the IdP's token for its audience, a token exchanged at the IdP) is never
// signed in to with OAuth, even when it answers 401 with a Bearer challenge: the policy's credential
// failed, and the user is told that, not sent to connect the server (commit b5e080c). A server
// without one (the control) answering the same challenge is offered the sign-in.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tempDir, type RunningGateway } from '../support/gateway-harness.ts';
import { callTool, orgGateway, SECRETS, startCredentialOrg, type CredentialOrg } from '../credentials/support.ts';
import { startProtectedServer, type ProtectedServer } from './support/protected-server.ts';

const VAULT_KEY = 'vault-API-KEY-5e1d0c';
const DIARY_KEY = 'diary-API-KEY-93ab7f';
const CONSENT = 'Open Gatehouse to connect';
const REFUSED = "refused the credential your organization's policy sends it (HTTP 401, invalid_token)";

const cleanups: (() => Promise<unknown>)[] = [];
let org: CredentialOrg;
let gw: RunningGateway;
/**
 * vault: org secret; diary: user-entered key; idtoken: the IdP's token; exchanged: a token
 * exchanged at the IdP; open: no Authorization (the control).
 */
const servers: Record<'vault' | 'diary' | 'idtoken' | 'exchanged' | 'open', ProtectedServer> = {} as never;

beforeAll(async () => {
  const [vault, diary, idtoken, exchanged, open] = await Promise.all([
    startProtectedServer({ apiKeys: [VAULT_KEY] }),
    startProtectedServer({ apiKeys: [DIARY_KEY] }),
    startProtectedServer(),
    startProtectedServer(),
    startProtectedServer(),
  ]);
  Object.assign(servers, { vault, diary, idtoken, exchanged, open });
  for (const server of Object.values(servers)) cleanups.push(() => server.stop());
  org = await startCredentialOrg(cleanups, {
    servers: {
      vault: {
        url: vault!.url,
        credentials: [{ header: 'Authorization', secretRef: 'vault-key', prefix: 'Bearer ' }],
      },
      diary: {
        url: diary!.url,
        credentials: [{ header: 'authorization', from: 'user', label: 'Diary token', prefix: 'Bearer ' }],
      },
      idtoken: { url: idtoken!.url, identity: { accessToken: { resource: idtoken!.url } } },
      exchanged: { url: exchanged!.url, identity: { tokenExchange: { audience: exchanged!.url } } },
      open: { url: open!.url },
    },
    secrets: { 'vault-key': 'vault-WRONG-KEY' },
  });
}, 60_000);

// orgGateway waits with expect.poll, which only runs inside a test: the first test starts it.
beforeEach(async () => {
  gw ??= await orgGateway(org, await tempDir(), [], cleanups);
});

afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

/** What an AI client is told calling the server's `whoami`: the tool's text, or why it could not connect. */
async function call(server: string): Promise<{ text: string; isError: boolean }> {
  return callTool(gw, server, 'whoami').catch((error: Error) => ({ text: error.message, isError: true }));
}

/**
 * Requests that mean an OAuth sign-in started: metadata discovery, anything at the server's AS
 * (but its keys, which the resource server itself fetches to check a JWT).
 */
function oauthRequests(server: ProtectedServer) {
  return server.requests.filter(
    (r) => (r.to === 'authorization-server' && r.path !== '/jwks') || r.path.startsWith('/.well-known/'),
  );
}

async function connectionNames(): Promise<string[]> {
  return (await gw.gateway.api.listConnections()).map((c) => c.server);
}

describe('a policy server that gets Authorization from the policy, behind an OAuth resource server', () => {
  it('control: without a policy Authorization header, the same 401 asks the user to connect', async () => {
    const result = await call('open');
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`${CONSENT} open`);
    expect(await gw.gateway.api.listConnections()).toContainEqual(
      expect.objectContaining({ server: 'open', state: 'needs-consent' }),
    );
    // …and Connect starts the sign-in: discovery and registration at its authorization server.
    await gw.gateway.api.connectServer({ server: 'open' });
    expect(oauthRequests(servers.open).map((r) => r.path)).toEqual(
      expect.arrayContaining(['/.well-known/oauth-protected-resource/mcp', '/reg']),
    );
  });

  it('an org secret the server rejects: the call names the credential, no sign-in is offered or started', async () => {
    const result = await call('vault');
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`Server 'vault' ${REFUSED}`);
    expect(result.text).not.toContain(CONSENT);
    expect(servers.vault.unauthorizedCount()).toBeGreaterThan(0);
    expect(servers.vault.requests.map((r) => r.authorization)).toContain('Bearer vault-WRONG-KEY');
    expect(await connectionNames()).not.toContain('vault');
    await expect(gw.gateway.api.connectServer({ server: 'vault' })).rejects.toMatchObject({
      code: 'upstream-auth',
      message: expect.stringContaining('nothing to connect'),
    });
    expect(oauthRequests(servers.vault)).toEqual([]);
  });

  it('the right org secret: the call succeeds with exactly that Authorization header', async () => {
    await org.writeSecrets({ ...SECRETS, 'vault-key': VAULT_KEY });
    await expect.poll(async () => (await call('vault')).isError, { timeout: 10_000 }).toBe(false);
    expect(JSON.parse((await call('vault')).text)).toMatchObject({ sub: 'api-key' });
    expect(servers.vault.requests.at(-1)!.authorization).toBe(`Bearer ${VAULT_KEY}`);
    expect(oauthRequests(servers.vault)).toEqual([]);
    expect(await connectionNames()).not.toContain('vault');
  });

  it('a key the user entered that the server rejects: the call names it; the right key works', async () => {
    const missing = await call('diary');
    expect(missing.text).toContain('needs your Diary token');
    await gw.gateway.api.setCredential({ server: 'diary', name: 'authorization', value: 'diary-WRONG' });
    const wrong = await call('diary');
    expect(wrong.isError).toBe(true);
    expect(wrong.text).toContain(`Server 'diary' ${REFUSED}`);
    expect(wrong.text).not.toContain(CONSENT);
    expect(await connectionNames()).not.toContain('diary');

    await gw.gateway.api.setCredential({ server: 'diary', name: 'authorization', value: DIARY_KEY });
    await expect.poll(async () => (await call('diary')).isError, { timeout: 10_000 }).toBe(false);
    expect(servers.diary.requests.at(-1)!.authorization).toBe(`Bearer ${DIARY_KEY}`);
    expect(oauthRequests(servers.diary)).toEqual([]);
  });

  it.each([
    ['idtoken', "the IdP's token for its audience"],
    ['exchanged', 'a token exchanged at the IdP'],
  ] as const)('%s, %s, which the server rejects: no sign-in is offered or started', async (name, _how) => {
    const result = await call(name);
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`Server '${name}' ${REFUSED}`);
    expect(result.text).not.toContain(CONSENT);
    // The IdP's JWT was sent (and refused: another issuer than the server's own AS).
    expect(servers[name].requests.some((r) => r.authorization?.startsWith('Bearer ey'))).toBe(true);
    expect(servers[name].acceptedTokens).toEqual([]);
    expect(await connectionNames()).not.toContain(name);
    await expect(gw.gateway.api.connectServer({ server: name })).rejects.toMatchObject({ code: 'upstream-auth' });
    expect(oauthRequests(servers[name])).toEqual([]);
  });
});

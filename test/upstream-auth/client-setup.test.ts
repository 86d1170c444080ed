// How Gatehouse becomes a client of a server's authorization server when it cannot register
// itself: a client id from the config (as the org policy's `oauth.clientId` gives it), or a clear
// error saying whom to ask. Plus the challenge parser on the headers real servers send.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { parseBearerChallenge } from '../../src-main/core/upstream-auth/challenge.ts';
import { browseHeadless } from '../../src-main/demo/headless-browser.ts';
import { FileSecretStore } from '../../src-main/core/secrets/index.ts';
import { connect, startGateway, tempDir, type RunningGateway } from '../support/gateway-harness.ts';
import { startProtectedServer } from './support/protected-server.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

async function gatewayFor(server: Record<string, unknown>): Promise<{ running: RunningGateway; client: Client }> {
  const dataDir = await tempDir();
  const browsed: Promise<unknown>[] = [];
  const running = await startGateway(
    { notes: server },
    {
      dataDir,
      secretStore: new FileSecretStore({ dataDir }),
      openBrowser: async (url) => void browsed.push(browseHeadless(`${url}&login_hint=carol`)),
    },
  );
  cleanups.push(
    () => Promise.allSettled(browsed),
    () => running.close(),
  );
  const client = await connect(running.gateway.endpoint, running.token);
  cleanups.push(() => client.close());
  return { running, client };
}

describe('client setup at the authorization server', () => {
  it('says whom to ask when the server offers no registration and no client id is set', async () => {
    const upstream = await startProtectedServer({ registration: false });
    cleanups.push(() => upstream.stop());
    const { running } = await gatewayFor({ type: 'http', url: upstream.url });
    await expect(running.gateway.api.connectServer({ server: 'notes' })).rejects.toMatchObject({
      code: 'upstream-auth',
      message: expect.stringContaining('ask your IT team to set a client id for it in the policy (oauth.clientId)'),
    });
    expect((await running.gateway.api.listConnections())[0]).toMatchObject({
      state: 'error',
      error: expect.stringContaining('does not let Gatehouse register itself'),
    });
  });

  it('uses a client id set for the server, with the scopes set there', async () => {
    const upstream = await startProtectedServer({
      registration: false,
      clients: [{ client_id: 'gatehouse-by-it', redirect_uris: ['http://127.0.0.1/callback'] }],
    });
    cleanups.push(() => upstream.stop());
    const { running, client } = await gatewayFor({
      type: 'http',
      url: upstream.url,
      oauth: { clientId: 'gatehouse-by-it', scopes: ['mcp:tools'] },
    });
    const { authorizationUrl } = await running.gateway.api.connectServer({ server: 'notes' });
    const url = new URL(authorizationUrl);
    expect(url.searchParams.get('client_id')).toBe('gatehouse-by-it');
    expect(url.searchParams.get('scope')?.split(' ')).toContain('mcp:tools');
    await expect
      .poll(async () => (await client.listTools()).tools.map((t) => t.name), { timeout: 5000 })
      .toContain('notes__whoami');
    const result = (await client.callTool({ name: 'notes__whoami', arguments: {} })) as {
      content: { text: string }[];
    };
    expect(JSON.parse(result.content[0]!.text)).toMatchObject({ sub: 'carol' });
  });
});

describe('parseBearerChallenge', () => {
  it('reads resource_metadata, scope and error, quoted or not', () => {
    expect(
      parseBearerChallenge(
        'Bearer error="invalid_token", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read files:write"',
      ),
    ).toEqual({
      error: 'invalid_token',
      resourceMetadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
      scope: 'files:read files:write',
    });
    expect(parseBearerChallenge('bearer scope=read')).toEqual({ scope: 'read' });
    expect(parseBearerChallenge('Bearer')).toEqual({});
  });

  it('finds Bearer among other schemes and ignores a malformed metadata URL', () => {
    expect(parseBearerChallenge('Basic realm="x", Bearer resource_metadata="not a url"')).toEqual({});
    expect(parseBearerChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseBearerChallenge(undefined)).toBeUndefined();
  });
});

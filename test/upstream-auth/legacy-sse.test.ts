// The same OAuth flow for a server on the legacy HTTP+SSE transport, whose resource indicator is
// its origin (no path, sent verbatim): the consent error, connect, calls, refresh after a 401.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browseHeadless } from '../../src-main/demo/headless-browser.ts';
import { FileSecretStore } from '../../src-main/core/secrets/index.ts';
import { connect, startGateway, tempDir, type RunningGateway } from '../support/gateway-harness.ts';
import { startProtectedServer, type ProtectedServer } from './support/protected-server.ts';

type CallResult = { isError?: boolean; content: { type: string; text: string }[] };

describe('OAuth to a legacy SSE server', () => {
  let upstream: ProtectedServer;
  let running: RunningGateway;
  let client: Client;
  const browsed: Promise<unknown>[] = [];
  const call = async (name: string) => (await client.callTool({ name, arguments: {} })) as CallResult;
  const accessToken = async () => {
    const file = path.join(running.dataDir, 'secrets.json');
    const { secrets } = JSON.parse(await fs.readFile(file, 'utf8')) as { secrets: Record<string, string> };
    return (JSON.parse(secrets['upstream-oauth:legacy']!) as { accessToken: string }).accessToken;
  };

  beforeAll(async () => {
    upstream = await startProtectedServer({ resource: 'origin' });
    const dataDir = await tempDir();
    running = await startGateway(
      { legacy: { type: 'sse', url: upstream.sseUrl } },
      {
        dataDir,
        secretStore: new FileSecretStore({ dataDir }),
        openBrowser: async (url) => void browsed.push(browseHeadless(`${url}&login_hint=bob`)),
      },
    );
    client = await connect(running.gateway.endpoint, running.token);
  });

  afterAll(async () => {
    await client?.close();
    await running?.close();
    await upstream?.stop();
    await Promise.allSettled(browsed);
  });

  it('answers with the consent error, then works once connected', async () => {
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['legacy__connect']);
    const before = await call('legacy__connect');
    expect(before.isError).toBe(true);
    expect(before.content[0]!.text).toMatch(/^Open Gatehouse to connect legacy/);

    const { authorizationUrl } = await running.gateway.api.connectServer({ server: 'legacy' });
    expect(new URL(authorizationUrl).searchParams.get('resource')).toBe(new URL(upstream.url).origin);
    await expect
      .poll(async () => (await client.listTools()).tools.map((t) => t.name), { timeout: 5000 })
      .toContain('legacy__whoami');
    const result = await call('legacy__whoami');
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(result.content[0]!.text)).toEqual({ sub: 'bob', email: 'bob@example.test' });
  });

  it('renews the token after a 401 and sends the call again', async () => {
    const before = await accessToken();
    upstream.rejectToken(before);
    const result = await call('legacy__whoami');
    expect(result.isError).toBeFalsy();
    expect(await accessToken()).not.toBe(before);
  });
});

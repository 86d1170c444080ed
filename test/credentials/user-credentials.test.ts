import { afterEach, describe, expect, it } from 'vitest';
import { userCredentialKey } from '../../src-main/core/credentials/store-keys.ts';
import { FileSecretStore } from '../../src-main/core/secrets/index.ts';
import { connect, startGateway, tempDir, textOf } from '../support/gateway-harness.ts';
import { startHeaderEcho } from './fixtures/header-echo.ts';
import {
  callTool,
  ENV_SERVER,
  filesOutsideSecretStore,
  orgGateway,
  startCredentialOrg,
  storedSecrets,
} from './support.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

const NOTES_KEY = 'notes-USER-9c2e71aa';

describe('credentials the user enters in the window', () => {
  it('a missing one is named to the AI client; set through the API it reaches the server and survives a restart; cleared, calls get a tool error naming it', async () => {
    const org = await startCredentialOrg(cleanups);
    const dataDir = await tempDir();
    const logs: string[] = [];
    const first = await orgGateway(org, dataDir, logs, cleanups);

    // Never connected without its key: an AI client connecting to it is told what to enter.
    await expect(callTool(first, 'notes', 'headers')).rejects.toThrow(
      /needs your Notes API key\. Open Gatehouse and enter it/,
    );

    const listed = await first.gateway.api.listCredentials();
    expect(listed).toContainEqual({
      server: 'notes',
      target: 'header',
      name: 'X-Notes-Key',
      source: 'user',
      label: 'Notes API key',
      set: false,
    });
    expect(listed).toContainEqual(
      expect.objectContaining({ server: 'linear', name: 'X-Api-Key', source: 'org', set: true }),
    );
    expect(JSON.stringify(listed)).not.toMatch(/SECRET|secretRef/);

    // Org-provided credentials cannot be overwritten from the window.
    await expect(
      first.gateway.api.setCredential({ server: 'linear', name: 'X-Api-Key', value: 'mine' }),
    ).rejects.toMatchObject({ code: 'unknown_credential' });

    const set = await first.gateway.api.setCredential({ server: 'notes', name: 'X-Notes-Key', value: NOTES_KEY });
    expect(set).toMatchObject({ server: 'notes', name: 'X-Notes-Key', set: true });
    expect(JSON.stringify(set)).not.toContain(NOTES_KEY);
    const sent = JSON.parse((await callTool(first, 'notes', 'headers')).text) as Record<string, string>;
    expect(sent['x-notes-key']).toBe(`Key ${NOTES_KEY}`);
    const other = JSON.parse((await callTool(first, 'other', 'headers')).text) as Record<string, string>;
    expect(JSON.stringify(other)).not.toContain(NOTES_KEY);
    await first.close();

    // A restart keeps it: it lives in the secret store, as does the sign-in.
    const second = await orgGateway(org, dataDir, logs, cleanups);
    const again = JSON.parse((await callTool(second, 'notes', 'headers')).text) as Record<string, string>;
    expect(again['x-notes-key']).toBe(`Key ${NOTES_KEY}`);

    const cleared = await second.gateway.api.clearCredential({ server: 'notes', name: 'X-Notes-Key' });
    expect(cleared.set).toBe(false);
    const afterClear = await callTool(second, 'notes', 'headers');
    expect(afterClear.isError).toBe(true);
    expect(afterClear.text).toContain('needs your Notes API key');
    // The same on the aggregated endpoint, where the tool is still listed (from the list cache).
    const client = await connect(second.gateway.endpoint, second.token);
    try {
      const result = await client.callTool({ name: 'notes__headers', arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('needs your Notes API key');
    } finally {
      await client.close();
    }

    // Set once more, then sign out: a value entered for an org server leaves with the user.
    await second.gateway.api.setCredential({ server: 'notes', name: 'X-Notes-Key', value: NOTES_KEY });
    expect(Object.values(await storedSecrets(dataDir))).toContain(NOTES_KEY);
    await second.gateway.org!.logout();
    expect(Object.values(await storedSecrets(dataDir))).not.toContain(NOTES_KEY);
    await second.close();

    for (const { file, text } of [
      ...(await filesOutsideSecretStore(dataDir)),
      { file: 'log', text: logs.join('\n') },
    ]) {
      expect(text.includes(NOTES_KEY), `the key is in ${file}`).toBe(false);
    }
  });

  it("a user's own stdio server gets an environment variable they set, from its next start", async () => {
    const org = await startCredentialOrg(cleanups);
    const dataDir = await tempDir();
    const gw = await orgGateway(org, dataDir, [], cleanups, { mine: ENV_SERVER });
    expect(await callTool(gw, 'mine', 'env', { name: 'MY_TOKEN' })).toEqual({ text: '(unset)', isError: false });

    await gw.gateway.api.setCredential({ server: 'mine', name: 'MY_TOKEN', value: 'personal-USER-31a7' });
    expect(await gw.gateway.api.listCredentials()).toContainEqual({
      server: 'mine',
      target: 'env',
      name: 'MY_TOKEN',
      source: 'user',
      label: 'MY_TOKEN',
      set: true,
    });
    // The running process had the old environment: Gatehouse restarted it with the new one.
    await expect
      .poll(async () => (await callTool(gw, 'mine', 'env', { name: 'MY_TOKEN' }).catch(() => undefined))?.text, {
        timeout: 10_000,
      })
      .toBe('personal-USER-31a7');
    // Not a name a process environment can carry; and an org server takes only what the policy lists.
    await expect(gw.gateway.api.setCredential({ server: 'mine', name: 'NOT-A-VAR', value: 'x' })).rejects.toMatchObject(
      {
        code: 'unknown_credential',
      },
    );
    await expect(gw.gateway.api.setCredential({ server: 'envy', name: 'EXTRA', value: 'x' })).rejects.toMatchObject({
      code: 'unknown_credential',
    });
    // A personal server's values are the user's own: they stay after sign-out.
    await gw.gateway.org!.logout();
    expect(Object.values(await storedSecrets(dataDir))).toContain('personal-USER-31a7');
  });
});

describe('credentials in personal mode (no org)', () => {
  it("the user's key for their own remote server is sent with every request, and only there", async () => {
    const mine = await startHeaderEcho('mine');
    const other = await startHeaderEcho('other');
    cleanups.push(
      () => mine.close(),
      () => other.close(),
    );
    const dataDir = await tempDir();
    const gw = await startGateway(
      { mine: { url: mine.url }, other: { url: other.url } },
      { dataDir, secretStore: new FileSecretStore({ dataDir }) },
    );
    cleanups.push(() => gw.close());
    await gw.gateway.api.setCredential({ server: 'mine', name: 'Authorization', value: 'Bearer personal-USER-5e11' });
    expect(await gw.gateway.api.listCredentials()).toEqual([
      { server: 'mine', target: 'header', name: 'Authorization', source: 'user', label: 'Authorization', set: true },
    ]);
    const sent = JSON.parse((await callTool(gw, 'mine', 'headers')).text) as Record<string, string>;
    expect(sent.authorization).toBe('Bearer personal-USER-5e11');
    const elsewhere = JSON.parse((await callTool(gw, 'other', 'headers')).text) as Record<string, string>;
    expect(elsewhere.authorization).toBeUndefined();
    await expect(
      gw.gateway.api.setCredential({ server: 'mine', name: 'Host', value: 'evil.example' }),
    ).rejects.toMatchObject({ code: 'unknown_credential' });

    const cleared = await gw.gateway.api.clearCredential({ server: 'mine', name: 'Authorization' });
    expect(cleared.set).toBe(false);
    expect(await gw.gateway.api.listCredentials()).toEqual([]);
    const after = JSON.parse((await callTool(gw, 'mine', 'headers')).text) as Record<string, string>;
    expect(after.authorization).toBeUndefined();
  });

  it('a changed value is sent from the next request on; one changed in the secret file by another process within a second', async () => {
    const mine = await startHeaderEcho('mine');
    cleanups.push(() => mine.close());
    const dataDir = await tempDir();
    const gw = await startGateway(
      { mine: { url: mine.url } },
      { dataDir, secretStore: new FileSecretStore({ dataDir }) },
    );
    cleanups.push(() => gw.close());
    const sentKey = async () =>
      (JSON.parse((await callTool(gw, 'mine', 'headers')).text) as Record<string, string>)['x-api-key'];

    await gw.gateway.api.setCredential({ server: 'mine', name: 'X-Api-Key', value: 'first-USER-0a1b2c' });
    expect(await sentKey()).toBe('first-USER-0a1b2c');
    // The gateway keeps resolved headers between requests: its own write must not leave them stale.
    await gw.gateway.api.setCredential({ server: 'mine', name: 'X-Api-Key', value: 'second-USER-3d4e5f' });
    expect(await sentKey()).toBe('second-USER-3d4e5f');

    // Another process (a second Gatehouse on this data dir) rewrites the value in the secret file.
    await new FileSecretStore({ dataDir }).set(userCredentialKey('mine', 'X-Api-Key'), 'third-USER-6a7b8c');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await sentKey()).toBe('third-USER-6a7b8c');
  });
});

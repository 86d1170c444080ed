import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NODE, ROOT, tempDir } from '../support/gateway-harness.ts';
import {
  callTool,
  filesOutsideSecretStore,
  orgGateway,
  SECRETS,
  startCredentialOrg,
  storedSecrets,
} from './support.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

describe('org-provided credentials and token exchange, with a real IdP, org server and MCP servers', () => {
  it('delivers org secrets only to their server, exchanges tokens, deletes on revocation and sign-out, leaks nothing', async () => {
    const org = await startCredentialOrg(cleanups);
    const dataDir = await tempDir();
    const logs: string[] = [];
    const gw = await orgGateway(org, dataDir, logs, cleanups);

    // Header credential: the org's value reaches linear, whatever the client sent.
    const spoof = { 'X-Api-Key': 'client-made-this-up' };
    const linear = JSON.parse((await callTool(gw, 'linear', 'headers', {}, spoof)).text) as Record<string, string>;
    expect(linear['x-api-key']).toBe(SECRETS['linear-key']);
    // …and never reaches another server, nor does the client's copy.
    const other = JSON.parse((await callTool(gw, 'other', 'headers', {}, spoof)).text) as Record<string, string>;
    expect(other['x-api-key']).toBeUndefined();
    expect(org.other.seen.every((h) => !Object.values(h).some((v) => String(v).includes('SECRET')))).toBe(true);

    // Env credential: the stdio server was started with the org's value.
    const envy = await callTool(gw, 'envy', 'env', { name: 'ENVY_TOKEN' });
    expect(envy).toEqual({ text: SECRETS['envy-token'], isError: false });

    // Only secrets of servers the policy allows this user are on the laptop.
    const stored = await storedSecrets(dataDir);
    expect(stored['org-secret:linear-key']).toBe(SECRETS['linear-key']);
    expect(stored['org-secret:envy-token']).toBe(SECRETS['envy-token']);
    expect(Object.values(stored)).not.toContain(SECRETS['hr-key']);

    // Token exchange: the server verified a token minted for its own audience, for alice.
    const whoami = JSON.parse((await callTool(gw, 'whoami', 'whoami')).text) as {
      verified: { sub: string };
      token: { audience: string };
    };
    expect(whoami.verified.sub).toBe('alice');
    expect(whoami.token.audience).toBe(org.identityUrl);
    expect(org.exchangedTokens).toHaveLength(1);
    await callTool(gw, 'whoami', 'whoami');
    expect(org.exchangedTokens).toHaveLength(1); // cached, not exchanged per call

    // Revocation: the policy takes linear away, and its secret leaves the laptop.
    await org.writePolicy({ denyLinear: true });
    await expect
      .poll(async () => (await storedSecrets(dataDir))['org-secret:linear-key'], { timeout: 10_000 })
      .toBeUndefined();
    expect((await storedSecrets(dataDir))['org-secret:envy-token']).toBe(SECRETS['envy-token']);

    // Sign-out: no org secret stays in the store's file.
    await gw.gateway.org!.logout();
    const afterSignOut = await storedSecrets(dataDir);
    expect(Object.keys(afterSignOut).filter((k) => k.startsWith('org-secret'))).toEqual([]);
    expect(Object.values(afterSignOut).join('\n')).not.toMatch(/SECRET/);

    // Nothing secret in audit segments, policy cache, list cache, an AI client's config or the log.
    await gw.gateway.api.connectClient({ client: 'cursor' });
    await gw.close();
    const secrets = [...Object.values(SECRETS), ...org.exchangedTokens];
    const files = await filesOutsideSecretStore(dataDir);
    // The audit log (level full) holds linear's answer, which echoed the header: masked, not absent.
    const audit = files
      .filter((f) => f.file.endsWith('.jsonl'))
      .map((f) => f.text)
      .join('\n');
    expect(audit).toMatch(/x-api-key/);
    expect(files.some((f) => f.file.endsWith(path.join('.cursor', 'mcp.json')))).toBe(true);
    for (const { file, text } of [...files, { file: 'log', text: logs.join('\n') }]) {
      for (const secret of secrets) expect(text.includes(secret), `${secret.slice(0, 8)}… in ${file}`).toBe(false);
    }
  });
});

describe('a rotated org secret', () => {
  it('reaches a running stdio server (restarted with it) and a remote server (next request) after the push', async () => {
    const org = await startCredentialOrg(cleanups);
    const dataDir = await tempDir();
    const gw = await orgGateway(org, dataDir, [], cleanups);
    expect((await callTool(gw, 'envy', 'env', { name: 'ENVY_TOKEN' })).text).toBe(SECRETS['envy-token']);

    await org.writeSecrets({ ...SECRETS, 'envy-token': 'env-ROTATED-1', 'linear-key': 'lin-ROTATED-2' });
    await expect
      .poll(async () => (await callTool(gw, 'envy', 'env', { name: 'ENVY_TOKEN' }).catch(() => undefined))?.text, {
        timeout: 10_000,
      })
      .toBe('env-ROTATED-1');
    const linear = JSON.parse((await callTool(gw, 'linear', 'headers')).text) as Record<string, string>;
    expect(linear['x-api-key']).toBe('lin-ROTATED-2');
  });
});

describe('gatehouse logout while no gateway runs', () => {
  it('deletes the org secrets and the keys entered for org servers, and keeps those for personal servers', async () => {
    const org = await startCredentialOrg(cleanups);
    const dataDir = await tempDir();
    const gw = await orgGateway(org, dataDir, [], cleanups, { mine: { url: org.other.url } });
    await gw.gateway.api.setCredential({ server: 'notes', name: 'X-Notes-Key', value: 'org-server-USER-1' });
    await gw.gateway.api.setCredential({ server: 'mine', name: 'X-Mine', value: 'personal-USER-2' });
    await expect
      .poll(async () => (await storedSecrets(dataDir))['org-secret:linear-key'], { timeout: 10_000 })
      .toBe(SECRETS['linear-key']);
    await gw.close();

    // Not spawnSync: the IdP runs in this process and must answer the revocation.
    const cli = await promisify(execFile)(NODE, [
      path.join(ROOT, 'src-main/cli/main.ts'),
      'logout',
      '--data-dir',
      dataDir,
    ]);
    expect(cli.stdout).toContain('the sign-in was revoked');
    const left = Object.values(await storedSecrets(dataDir));
    expect(left.join('\n')).not.toMatch(/SECRET|org-server-USER/);
    expect(left).toContain('personal-USER-2');
  });
});

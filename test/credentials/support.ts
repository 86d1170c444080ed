import fs from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { expect } from 'vitest';
import { type RunningOrgServer } from '../../src-main/org-server/index.ts';
import { headlessBrowser } from '../auth/fixtures.ts';
import { NODE, ROOT, startGateway, tempDir, textOf, type RunningGateway } from '../support/gateway-harness.ts';
import { startTestOrgServer, testOrgDeps } from '../support/org-gateway.ts';
import { startIdentityUpstream } from '../support/identity-upstream.ts';
import { startTestIdp, type TestIdp } from '../support/idp.ts';
import { startHeaderEcho, type HeaderEcho } from './fixtures/header-echo.ts';

/** The stdio server whose `env` tool shows one variable of its environment. */
export const ENV_SERVER = {
  command: NODE,
  args: [path.join(ROOT, 'test/credentials/fixtures/env-server.ts')],
};

export const SECRETS = {
  'linear-key': 'lin-SECRET-4f1c9a0e',
  'envy-token': 'env-SECRET-77ab31c2',
  'hr-key': 'hr-SECRET-0d0d5e5e',
};
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

export type CredentialOrg = {
  idp: TestIdp;
  orgServer: RunningOrgServer;
  linear: HeaderEcho;
  other: HeaderEcho;
  notes: HeaderEcho;
  identityUrl: string;
  /** Every token the IdP minted by token exchange. */
  exchangedTokens: string[];
  writePolicy(options?: { denyLinear?: boolean }): Promise<void>;
  /** Replaces the org's secrets file (IT rotating a key). */
  writeSecrets(secrets: Record<string, string>): Promise<void>;
};

/**
 * IdP, identity echo, three header echoes, a policy with every kind of credential and the
 * reference org server delivering the org's secrets. `cleanups` gets everything to stop.
 * `extra` adds policy servers (allowed to eng) and org secrets to those.
 */
export async function startCredentialOrg(
  cleanups: (() => Promise<unknown>)[],
  extra: { servers?: Record<string, unknown>; secrets?: Record<string, string> } = {},
): Promise<CredentialOrg> {
  const idp = await startTestIdp();
  cleanups.push(() => idp.stop());
  const exchangedTokens: string[] = [];
  idp.provider.on('grant.success', (ctx) => {
    if (ctx.oidc.params?.grant_type === TOKEN_EXCHANGE) {
      exchangedTokens.push(String((ctx.body as { access_token: string }).access_token));
    }
  });
  const identity = await startIdentityUpstream({ issuer: idp.issuer, jwksUri: idp.jwksUri });
  cleanups.push(() => identity.close());
  const [linear, other, notes] = await Promise.all(['linear', 'other', 'notes'].map(startHeaderEcho));
  cleanups.push(
    () => linear!.close(),
    () => other!.close(),
    () => notes!.close(),
  );
  const dir = await tempDir('gatehouse-credentials-org-');
  const policyFile = path.join(dir, 'policy.json');
  const secretsFile = path.join(dir, 'secrets.json');
  await fs.writeFile(secretsFile, JSON.stringify({ ...SECRETS, ...extra.secrets }));
  let revision = 0;
  const writePolicy = async (options: { denyLinear?: boolean } = {}) => {
    revision++;
    const policy = {
      version: 1,
      policyVersion: `r${revision}`,
      issuedAt: new Date().toISOString(),
      contact: 'it-help@example.test',
      auditLevel: 'full',
      allowPersonalServers: true,
      servers: {
        linear: { url: linear!.url, credentials: [{ header: 'X-Api-Key', secretRef: 'linear-key' }] },
        other: { url: other!.url },
        notes: {
          url: notes!.url,
          credentials: [{ header: 'X-Notes-Key', from: 'user', label: 'Notes API key', prefix: 'Key ' }],
        },
        envy: {
          ...ENV_SERVER,
          credentials: [{ env: 'ENVY_TOKEN', secretRef: 'envy-token' }],
        },
        hr: { url: other!.url, credentials: [{ header: 'X-Api-Key', secretRef: 'hr-key' }] },
        whoami: { url: identity.url, identity: { tokenExchange: { audience: identity.url } } },
        ...extra.servers,
      },
      rules: [
        { id: 'eng', effect: 'allow', when: { groups: ['eng'] }, servers: ['*'] },
        { id: 'no-hr', effect: 'deny', servers: ['hr'] },
        ...(options.denyLinear ? [{ id: 'no-linear', effect: 'deny', servers: ['linear'] }] : []),
      ],
    };
    await fs.writeFile(policyFile, JSON.stringify(policy));
  };
  await writePolicy();
  const orgServer = await startTestOrgServer(idp, { policyFile, secretsFile });
  cleanups.push(() => orgServer.close());
  return {
    idp,
    orgServer,
    linear: linear!,
    other: other!,
    notes: notes!,
    identityUrl: identity.url,
    exchangedTokens,
    writePolicy,
    writeSecrets: (secrets) => fs.writeFile(secretsFile, JSON.stringify(secrets)),
  };
}

/** A gateway in org mode on `dataDir`; signs alice in unless the store already holds a sign-in. */
export async function orgGateway(
  org: CredentialOrg,
  dataDir: string,
  logs: string[],
  cleanups: (() => Promise<unknown>)[],
  personalServers: Record<string, unknown> = {},
): Promise<RunningGateway> {
  // AI client configs go to a temp HOME inside the data dir, where the leak scans look too.
  const home = path.join(dataDir, 'home');
  await fs.mkdir(path.join(home, '.cursor'), { recursive: true });
  const gw = await startGateway(personalServers, {
    dataDir,
    host: { platform: 'linux', homeDir: home, env: {} },
    log: (line) => logs.push(line),
    org: testOrgDeps({
      idp: org.idp,
      orgServerUrl: org.orgServer.url,
      dataDir,
      openBrowser: headlessBrowser().openBrowser,
    }),
  });
  cleanups.push(() => gw.close());
  if (!(await gw.gateway.org!.auth.currentUser())) await gw.gateway.org!.login({ loginHint: 'alice' });
  await expect.poll(() => gw.gateway.pool.get('linear')?.enabled, { timeout: 10_000 }).toBe(true);
  return gw;
}

/** Calls one tool on one server's own endpoint, as an AI client would (with whatever headers it likes). */
export async function callTool(
  gw: RunningGateway,
  server: string,
  tool: string,
  args: Record<string, unknown> = {},
  clientHeaders: Record<string, string> = {},
): Promise<{ text: string; isError: boolean }> {
  const client = new Client({ name: 'credentials-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(gw.gateway.serverEndpoint(server)), {
      requestInit: { headers: { ...clientHeaders, authorization: `Bearer ${gw.token}` } },
    }),
  );
  try {
    const result = await client.callTool({ name: tool, arguments: args });
    return { text: textOf(result), isError: result.isError === true };
  } finally {
    await client.close();
  }
}

/** The secret store file as the test reads it: key → value. */
export async function storedSecrets(dataDir: string): Promise<Record<string, string>> {
  const text = await fs.readFile(path.join(dataDir, 'secrets.json'), 'utf8').catch(() => '{"secrets":{}}');
  return (JSON.parse(text) as { secrets: Record<string, string> }).secrets;
}

/** Every file under `dir` except the secret store, with its text, for leak scans. */
export async function filesOutsideSecretStore(dir: string): Promise<{ file: string; text: string }[]> {
  const found: { file: string; text: string }[] = [];
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (path.basename(file).startsWith('secrets.json')) continue;
    found.push({ file, text: (await fs.readFile(file)).toString('latin1') });
  }
  return found;
}

import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  forgetOrgUrl,
  loadOrgConfig,
  managedConfigPath,
  normalizeOrgUrl,
  PolicyError,
  requiresPolicySignature,
  saveOrgUrl,
} from '../../src-main/core/policy/index.ts';
import type { OrgConfigContext } from '../../src-main/core/policy/index.ts';
import { startOrgServer } from '../../src-main/org-server/index.ts';
import { makeTempDir, samplePolicy, writePolicyFile } from './support/policy-files.ts';

let home: string;
let context: OrgConfigContext;
let managedFile: string;

beforeEach(async () => {
  home = await makeTempDir('org-config');
  managedFile = path.join(home, 'managed', 'managed.json');
  // Always point at a temp path: the test must not read a real /etc/gatehouse on the machine.
  context = {
    platform: 'linux',
    env: { GATEHOUSE_MANAGED_CONFIG: managedFile },
    homeDir: home,
    dataDir: path.join(home, 'data'),
  };
});

afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

const managed = {
  orgName: 'Acme',
  issuer: 'https://login.example.com',
  clientId: 'gatehouse-desktop',
  policyEndpoint: 'https://gatehouse.example.com/policy',
  policyResource: 'https://gatehouse.example.com/policy',
  signingKeys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' }],
  locked: { telemetry: false, allowPersonalServers: false },
};

async function writeManaged(content: unknown, mode = 0o644): Promise<void> {
  await fs.mkdir(path.dirname(managedFile), { recursive: true });
  await fs.writeFile(managedFile, typeof content === 'string' ? content : JSON.stringify(content), { mode });
  await fs.chmod(managedFile, mode);
}

describe('managed config', () => {
  it('is read from the fixed per-OS path', () => {
    expect(managedConfigPath('darwin')).toBe('/Library/Application Support/Gatehouse/managed.json');
    expect(managedConfigPath('linux')).toBe('/etc/gatehouse/managed.json');
    expect(managedConfigPath('win32', { ProgramData: 'D:\\ProgramData' })).toBe(
      'D:\\ProgramData\\Gatehouse\\managed.json',
    );
    expect(managedConfigPath('win32', {})).toBe('C:\\ProgramData\\Gatehouse\\managed.json');
  });

  it('wins over a user-entered org and carries the locked settings', async () => {
    await writeManaged(managed);
    await fs.mkdir(context.dataDir, { recursive: true });
    await fs.writeFile(path.join(context.dataDir, 'org.json'), '{"format":1}');
    const result = await loadOrgConfig(context);
    expect(result).toEqual({ mode: 'managed', source: managedFile, config: managed, warnings: [] });
    if (result.mode === 'managed') expect(requiresPolicySignature(result.config)).toBe(true);
  });

  it('warns when users other than administrators could change it', async () => {
    await writeManaged(managed, 0o666);
    const result = await loadOrgConfig(context);
    expect(result.warnings).toEqual([expect.stringContaining('writable by non-administrators')]);
  });

  it('a broken managed config is an error naming each problem, not a silent fall back to personal mode', async () => {
    await writeManaged({
      ...managed,
      issuer: 'not a url',
      requirePolicySignatur: true,
      signingKeys: [{ kty: 'EC', d: 'secret' }],
    });
    const error = await loadOrgConfig(context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).code).toBe('org_config_invalid');
    expect((error as PolicyError).message).toContain(`the managed config ${managedFile} is invalid:`);
    expect((error as PolicyError).message).toContain('$.issuer: must be the IdP issuer URL');
    expect((error as PolicyError).message).toContain('$.signingKeys[0]: must be a public key');
    expect((error as PolicyError).message).toContain('$.requirePolicySignatur: unknown field');

    await writeManaged('{ not json');
    await expect(loadOrgConfig(context)).rejects.toThrow(/is not valid JSON/);
  });

  it('expands ~ in the override path', async () => {
    const file = path.join(home, 'm.json');
    await fs.writeFile(file, JSON.stringify(managed));
    const result = await loadOrgConfig({ ...context, env: { GATEHOUSE_MANAGED_CONFIG: '~/m.json' } });
    expect(result).toMatchObject({ mode: 'managed', source: file });
  });
});

describe('user-entered org URL', () => {
  it('discovers the org from <org>/.well-known/gatehouse, saves it, and falls back to the saved copy offline', async () => {
    const policyFile = path.join(home, 'policy.json');
    await writePolicyFile(policyFile, samplePolicy(1));
    const server = await startOrgServer({
      policyFile,
      issuer: 'https://login.example.com',
      audience: 'gatehouse-policy',
      jwksUri: 'http://127.0.0.1:9/jwks',
      clientId: 'gatehouse-desktop',
      logger: { info: () => {}, error: () => {} },
    });
    try {
      expect(await loadOrgConfig(context)).toEqual({ mode: 'personal', warnings: [] });
      const saved = await saveOrgUrl({ dataDir: context.dataDir, orgUrl: `${server.url}/` });
      expect(saved.orgUrl).toBe(server.url);
      expect((await fs.stat(path.join(context.dataDir, 'org.json'))).mode & 0o777).toBe(0o600);

      const online = await loadOrgConfig(context);
      expect(online).toMatchObject({
        mode: 'user',
        source: server.url,
        fromCache: false,
        config: {
          issuer: 'https://login.example.com',
          clientId: 'gatehouse-desktop',
          policyEndpoint: `${server.url}/policy`,
        },
      });
    } finally {
      await server.close();
    }
    const offline = await loadOrgConfig(context);
    expect(offline).toMatchObject({ mode: 'user', fromCache: true, config: { clientId: 'gatehouse-desktop' } });
    expect(offline.warnings[0]).toMatch(/could not refresh .* using the copy from/);

    await forgetOrgUrl(context.dataDir);
    expect(await loadOrgConfig(context)).toEqual({ mode: 'personal', warnings: [] });
  });

  it('refuses a discovery document that lacks what sign-in needs', async () => {
    const fakeFetch: typeof fetch = async () => Response.json({ issuer: 'https://login.example.com' });
    await expect(
      saveOrgUrl({ dataDir: context.dataDir, orgUrl: 'https://org.example.com', fetch: fakeFetch }),
    ).rejects.toThrow(/\.well-known\/gatehouse is invalid: \$\.clientId: .*\$\.policyEndpoint/);
  });

  it('accepts a bare host name, and plain http only for this machine', () => {
    expect(normalizeOrgUrl('acme.example.com')).toBe('https://acme.example.com');
    expect(normalizeOrgUrl(' https://acme.example.com/gatehouse/?x=1 ')).toBe('https://acme.example.com/gatehouse');
    expect(normalizeOrgUrl('http://127.0.0.1:7392')).toBe('http://127.0.0.1:7392');
    expect(() => normalizeOrgUrl('http://acme.example.com')).toThrow(/must use https/);
  });
});

import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoveryDocumentSchema, verifyPolicySignature } from '../../src-main/core/policy/index.ts';
import { makeTempDir, samplePolicy, writePolicyFile } from './support/policy-files.ts';
import { startTestIssuer } from './support/test-issuer.ts';
import type { TestIssuer } from './support/test-issuer.ts';

const main = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url));

let dir: string;
let issuer: TestIssuer;

beforeEach(async () => {
  dir = await makeTempDir('cli-org-server');
  issuer = await startTestIssuer('gatehouse-policy');
});

afterEach(async () => {
  await issuer.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('gatehouse policy keygen + gatehouse org-server', () => {
  it('IT makes a key, runs the server with it, and laptops can verify what it serves', async () => {
    const keyFile = path.join(dir, 'policy-key.jwk');
    const { stdout: publicJwkLine } = await promisify(execFile)(process.execPath, [
      main,
      'policy',
      'keygen',
      '--out',
      keyFile,
    ]);
    const publicJwk = JSON.parse(publicJwkLine);
    expect(publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(publicJwk).not.toHaveProperty('d');
    expect((await fs.stat(keyFile)).mode & 0o777).toBe(0o600);
    await expect(
      promisify(execFile)(process.execPath, [main, 'policy', 'keygen', '--out', keyFile]),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining('EEXIST'),
    });

    const policyFile = path.join(dir, 'policy.json');
    await writePolicyFile(policyFile, samplePolicy(1));
    const child = spawn(process.execPath, [
      main,
      'org-server',
      '--policy',
      policyFile,
      '--issuer',
      issuer.issuer,
      '--audience',
      'gatehouse-policy',
      '--port',
      '0',
      '--sign-key',
      keyFile,
      '--client-id',
      'gatehouse-desktop',
    ]);
    try {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', () => {
          const match = /org server on (http:\/\/\S+)/.exec(output);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`org-server exited with ${code}: ${output}`)));
      });
      const discovery = discoveryDocumentSchema.parse(await (await fetch(`${url}/.well-known/gatehouse`)).json());
      expect(discovery).toMatchObject({
        issuer: issuer.issuer,
        clientId: 'gatehouse-desktop',
        policyEndpoint: `${url}/policy`,
      });
      expect(discovery.signingKeys).toEqual([{ ...publicJwk }]);

      const token = await issuer.mint({ sub: 'eve' });
      const body = await (await fetch(`${url}/policy`, { headers: { Authorization: `Bearer ${token}` } })).text();
      expect(JSON.parse(await verifyPolicySignature(body, [publicJwk]))).toMatchObject({ policyVersion: 'rev-1' });
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('refuses to start without the required options or on an invalid policy', async () => {
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, [main, 'org-server', ...args]).catch(
        (e: { code: number; stderr: string }) => e,
      );
    expect(await run('--policy', 'x.json')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('missing --issuer, --audience'),
    });
    const bad = path.join(dir, 'bad.json');
    await fs.writeFile(bad, JSON.stringify({ ...samplePolicy(1), version: 3 }));
    expect(await run('--policy', bad, '--issuer', issuer.issuer, '--audience', 'a', '--port', '0')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('$.version: must be 1'),
    });
  });
});

import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readSignInStatus } from '../../src-main/core/auth/index.ts';
import { openHeadlessSecretStore } from '../../src-main/core/secrets/index.ts';
import { browseHeadless, startTestIdp } from '../support/idp.ts';
import type { TestIdp } from '../support/idp.ts';
import { makeTempDir } from './fixtures.ts';

const NODE = path.resolve('node_modules/.bin/node');
const MAIN = path.resolve('src-main/cli/main.ts');

let idp: TestIdp;
let dataDir: string;

beforeAll(async () => {
  idp = await startTestIdp();
});
afterAll(async () => {
  await idp?.stop();
});
afterEach(async () => {
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

/** Runs `gatehouse …`; `onStderr` sees the text so far and may act on it (e.g. open the sign-in URL). */
function gatehouse(args: string[], onStderr: (text: string) => void = () => undefined) {
  const child = spawn(NODE, [MAIN, ...args], {
    env: { ...process.env, HOME: dataDir, GATEHOUSE_MANAGED_CONFIG: path.join(dataDir, 'no-managed.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    onStderr(stderr);
  });
  const timer = setTimeout(() => child.kill(), 20_000);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Plays the person at the browser: opens the printed sign-in address once. */
function signInWhenAsked(fill?: Record<string, string>) {
  let started = false;
  return (text: string) => {
    const url = /Sign in at:\n {2}(\S+)\n/.exec(text)?.[1] ?? /\(or open (\S+)\)/.exec(text)?.[1];
    if (url && !started) {
      started = true;
      void browseHeadless(url, { ...(fill && { fill }) }).catch(() => undefined);
    }
  };
}

describe('gatehouse login / logout', () => {
  it('signs in with --issuer/--client-id in the browser, then signs out and revokes', async () => {
    dataDir = await makeTempDir();
    const login = await gatehouse(
      [
        'login',
        '--issuer',
        idp.issuer,
        '--client-id',
        idp.clientId,
        '--no-browser',
        '--login-hint',
        'alice',
        '--data-dir',
        dataDir,
      ],
      signInWhenAsked(),
    );
    expect(login.stderr).toContain(`Signing in to ${idp.issuer}`);
    expect(login.stdout).toBe(
      'Signed in as Alice Example <alice@example.test> (groups: eng, mcp-admins; roles: admin; team: platform).\n',
    );
    expect(login.stderr).toMatch(/Warning: Sign-in tokens are stored unencrypted/);
    expect(login.code).toBe(0);

    const status = await readSignInStatus(openHeadlessSecretStore(dataDir));
    expect(status).toMatchObject({
      signedIn: true,
      issuer: idp.issuer,
      clientId: 'gatehouse',
      canRefresh: true,
      user: { sub: 'alice' },
    });

    const logout = await gatehouse(['logout', '--data-dir', dataDir]);
    expect(logout).toMatchObject({
      code: 0,
      stdout: `Signed out alice@example.test; the sign-in was revoked at ${idp.issuer}.\n`,
    });
    expect(await readSignInStatus(openHeadlessSecretStore(dataDir))).toMatchObject({ signedIn: false });
    expect(await gatehouse(['logout', '--data-dir', dataDir])).toMatchObject({ code: 0, stdout: 'Not signed in.\n' });
  });

  it('signs in with --device after the user confirms the code elsewhere', async () => {
    dataDir = await makeTempDir();
    const login = await gatehouse(
      ['login', '--issuer', idp.issuer, '--client-id', idp.clientId, '--device', '--data-dir', dataDir],
      signInWhenAsked({ login: 'bob', password: 'x' }),
    );
    expect(login.stderr).toMatch(/open http:\/\/127\.0\.0\.1:\d+\/device and enter the code [A-Z]{4}-[A-Z]{4}/);
    expect(login.stdout).toBe('Signed in as Bob Example <bob@example.test> (groups: sales; team: gtm).\n');
    expect(login.code).toBe(0);
  });

  it('finds the IdP from --org URL and remembers the org for the next sign-in', async () => {
    dataDir = await makeTempDir();
    const org = http.createServer((request, response) => {
      if (request.url !== '/.well-known/gatehouse') return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          orgName: 'Example Corp',
          issuer: idp.issuer,
          clientId: idp.clientId,
          policyEndpoint: 'http://127.0.0.1:1/policy',
          policyResource: 'http://127.0.0.1:1/policy',
        }),
      );
    });
    await new Promise<void>((resolve) => org.listen(0, '127.0.0.1', resolve));
    const orgUrl = `http://127.0.0.1:${(org.address() as AddressInfo).port}`;
    try {
      const first = await gatehouse(
        ['login', '--org', orgUrl, '--no-browser', '--login-hint', 'bob', '--data-dir', dataDir],
        signInWhenAsked(),
      );
      expect(first.stderr).toContain('Signing in to Example Corp');
      expect(first.code).toBe(0);
      const status = await readSignInStatus(openHeadlessSecretStore(dataDir));
      expect(status).toMatchObject({ signedIn: true, resources: ['http://127.0.0.1:1/policy'] });

      const again = await gatehouse(
        ['login', '--no-browser', '--login-hint', 'alice', '--data-dir', dataDir],
        signInWhenAsked(),
      );
      expect(again.stdout).toContain('Signed in as Alice Example');
      expect(again.code).toBe(0);
    } finally {
      await new Promise((resolve) => org.close(resolve));
    }
  });

  it('tells a user with no org what to do', async () => {
    dataDir = await makeTempDir();
    const result = await gatehouse(['login', '--data-dir', dataDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('gatehouse login --org URL');
  });
});

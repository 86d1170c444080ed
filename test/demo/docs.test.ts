// The docs' code and examples are run, not just read: policy recipes validate, the field
// reference matches the schema, managed-config examples load, and the server authors' token
// checks (TypeScript and Python) accept and refuse real tokens from a real IdP.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpsBatchSink, openAuditLog } from '../../src-main/core/audit/index.ts';
import { loadOrgConfig, validatePolicy } from '../../src-main/core/policy/index.ts';
import { FileSecretStore } from '../../src-main/core/secrets/index.ts';
import { makeAuthClient } from '../auth/fixtures.ts';
import { NODE, ROOT, tempDir } from '../support/gateway-harness.ts';
import { startTestIdp, type TestIdp } from '../support/idp.ts';
import { simpleCall, TestOtlpCollector } from '../audit/support.ts';
import { policyReference } from './policy-reference.ts';

const run = promisify(execFile);
const doc = (name: string) => fs.readFile(path.join(ROOT, 'docs', name), 'utf8');

/** Fenced code blocks of one language, in order. */
function codeBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

describe('docs/it/policies.md', () => {
  it('every policy example is a valid policy without warnings, and the CLI says so', async () => {
    const examples = codeBlocks(await doc('it/policies.md'), 'json').filter((b) => b.includes('"version": 1'));
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const example of examples) {
      const result = validatePolicy(JSON.parse(example));
      expect(result.ok ? result.warnings : result.errors, example).toEqual([]);
    }
    const dir = await tempDir('gatehouse-docs-');
    try {
      const file = path.join(dir, 'policy.json');
      await fs.writeFile(file, examples[1]!);
      const { stdout } = await run(NODE, [path.join(ROOT, 'bin', 'gatehouse.js'), 'policy', 'validate', file]);
      expect(stdout).toMatch(/valid/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('the field reference is generated from the JSON Schema (UPDATE_DOCS=1 rewrites it)', async () => {
    const file = path.join(ROOT, 'docs', 'it', 'policies.md');
    const text = await fs.readFile(file, 'utf8');
    const schema = JSON.parse(await doc('schema/policy.schema.json'));
    const generated = `<!-- reference:start -->\n\n${policyReference(schema)}\n<!-- reference:end -->`;
    const current = /<!-- reference:start -->[\s\S]*<!-- reference:end -->/.exec(text)?.[0];
    if (process.env.UPDATE_DOCS && current !== generated) {
      await fs.writeFile(file, text.replace(current!, generated));
      return;
    }
    expect(current).toBe(generated);
    for (const field of [
      'staleAfterSeconds',
      'servers.<id>.identity.accessToken.resource',
      'rules[].when.emailDomain',
    ]) {
      expect(current).toContain(`\`${field}\``);
    }
  });
});

describe('docs/it/deploy.md and idp-setup.md', () => {
  it('every managed config example loads as the managed config', async () => {
    const pages = [await doc('it/deploy.md'), await doc('it/idp-setup.md')];
    const examples = pages.flatMap((page) => codeBlocks(page, 'json').filter((b) => b.includes('"policyEndpoint"')));
    expect(examples.length).toBeGreaterThanOrEqual(5);
    const dir = await tempDir('gatehouse-docs-');
    try {
      for (const example of examples) {
        const file = path.join(dir, 'managed.json');
        await fs.writeFile(file, example, { mode: 0o644 });
        const result = await loadOrgConfig({
          platform: process.platform,
          env: { GATEHOUSE_MANAGED_CONFIG: file },
          homeDir: dir,
          dataDir: dir,
        });
        expect(result).toMatchObject({ mode: 'managed', source: file, warnings: [] });
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('docs/server-authors.md: the token checks accept the real thing and nothing else', () => {
  const AUDIENCE = 'https://mcp.example.test/reports';
  const OTHER = 'https://mcp.example.test/other';
  const SECRET = 'shared-secret-from-the-org';
  let idp: TestIdp;
  let dir: string;
  let tokens: { good: string; otherAudience: string; idToken: string };
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    idp = await startTestIdp();
    dir = await tempDir('gatehouse-docs-snippets-');
    // A real sign-in, as Gatehouse does it, then the tokens Gatehouse would forward.
    const { client } = makeAuthClient(idp, dir, { resources: [AUDIENCE, OTHER] });
    await client.login({ loginHint: 'alice' });
    tokens = {
      good: await client.getAccessToken({ resource: AUDIENCE }),
      otherAudience: await client.getAccessToken({ resource: OTHER }),
      idToken: await idTokenOf(idp, dir),
    };
    env = {
      PATH: process.env.PATH,
      OIDC_ISSUER: idp.issuer,
      OIDC_JWKS_URI: idp.jwksUri,
      MCP_AUDIENCE: AUDIENCE,
      GATEHOUSE_SHARED_SECRET: SECRET,
    };
  });
  afterAll(async () => {
    await idp?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const cases = () => [
    { name: 'token for this server + secret', token: tokens.good, secret: SECRET, ok: true },
    { name: 'token for another server', token: tokens.otherAudience, secret: SECRET, ok: false },
    { name: 'an ID token', token: tokens.idToken, secret: SECRET, ok: false },
    { name: 'no shared secret', token: tokens.good, secret: null, ok: false },
    { name: 'wrong shared secret', token: tokens.good, secret: 'guess', ok: false },
    { name: 'a tampered token', token: tamper(tokens.good), secret: SECRET, ok: false },
  ];
  const expected = () => cases().map((c) => ({ name: c.name, ok: c.ok, ...(c.ok && { sub: 'alice' }) }));

  it('TypeScript (jose)', async () => {
    const snippet = codeBlocks(await doc('server-authors.md'), 'ts').find((b) => b.startsWith('// verify-caller.ts'));
    expect(snippet).toBeDefined();
    const work = await snippetDir(dir, 'ts');
    await fs.writeFile(path.join(work, 'verify-caller.ts'), snippet!);
    await fs.writeFile(
      path.join(work, 'run.ts'),
      `import { verifyCaller } from './verify-caller.ts';
const results = [];
for (const c of JSON.parse(process.argv[2])) {
  const headers = { authorization: 'Bearer ' + c.token, ...(c.secret !== null && { 'x-gatehouse-secret': c.secret }) };
  results.push(await verifyCaller(headers).then((p) => ({ name: c.name, ok: true, sub: p.sub }), () => ({ name: c.name, ok: false })));
}
console.log(JSON.stringify(results));
`,
    );
    const { stdout } = await run(NODE, [path.join(work, 'run.ts'), JSON.stringify(cases())], { env });
    expect(JSON.parse(stdout)).toEqual(expected());
  });

  it('Python (PyJWT), where PyJWT is installed', async (context) => {
    const python = await findPythonWithPyJwt();
    if (!python) {
      context.skip();
      return;
    }
    const snippet = codeBlocks(await doc('server-authors.md'), 'python').find((b) =>
      b.startsWith('# verify_caller.py'),
    );
    expect(snippet).toBeDefined();
    const work = await snippetDir(dir, 'py');
    await fs.writeFile(path.join(work, 'verify_caller.py'), snippet!);
    await fs.writeFile(
      path.join(work, 'run.py'),
      `import json, sys
from verify_caller import verify_caller
results = []
for c in json.loads(sys.argv[1]):
    headers = {"authorization": "Bearer " + c["token"]}
    if c["secret"] is not None:
        headers["x-gatehouse-secret"] = c["secret"]
    try:
        claims = verify_caller(headers)
        results.append({"name": c["name"], "ok": True, "sub": claims["sub"]})
    except Exception:
        results.append({"name": c["name"], "ok": False})
print(json.dumps(results))
`,
    );
    const { stdout } = await run(python, [path.join(work, 'run.py'), JSON.stringify(cases())], { env, cwd: work });
    expect(JSON.parse(stdout)).toEqual(expected());
  });
});

describe('docs/it/audit-sink.md: the org server that forwards audit batches to a collector', () => {
  it("takes laptops' batches with a user token, hands the records to the collector, refuses posts without a token", async () => {
    const AUDIENCE = 'https://gatehouse.example.test/policy';
    const cleanups: (() => Promise<unknown>)[] = [];
    try {
      const idp = await startTestIdp();
      cleanups.push(() => idp.stop());
      const collector = await new TestOtlpCollector().start();
      cleanups.push(() => collector.stop());
      const dir = await tempDir('gatehouse-docs-forwarder-');
      cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));

      const snippet = codeBlocks(await doc('it/audit-sink.md'), 'ts').find((b) =>
        b.startsWith('// org-server-with-otlp.ts'),
      );
      expect(snippet).toBeDefined();
      // The snippet runs from a checkout; here its imports point at this checkout from a temp folder.
      const work = await snippetDir(dir, 'forwarder');
      await fs.writeFile(
        path.join(work, 'org-server-with-otlp.ts'),
        snippet!.replaceAll("'./src-main/", `'${ROOT}/src-main/`),
      );
      const policyFile = path.join(dir, 'policy.json');
      await fs.writeFile(policyFile, codeBlocks(await doc('it/policies.md'), 'json')[0]!);
      const child = spawn(NODE, [path.join(work, 'org-server-with-otlp.ts')], {
        env: {
          PATH: process.env.PATH,
          OTLP_LOGS_URL: collector.url,
          OTLP_TOKEN: 'forwarder-token',
          POLICY_FILE: policyFile,
          OIDC_ISSUER: idp.issuer,
          POLICY_AUDIENCE: AUDIENCE,
          PORT: '0',
        },
      });
      cleanups.push(
        () =>
          new Promise((resolve) =>
            child.exitCode !== null ? resolve(undefined) : (child.once('exit', resolve), child.kill()),
          ),
      );
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const found = /forwarding on (http:\/\/\S+)/.exec(out)?.[1];
          if (found) resolve(found);
        });
        child.once('exit', (code) => reject(new Error(`the forwarder exited (${code})`)));
      });

      // What a laptop does: records from its own log, posted with the signed-in user's token.
      const log = await openAuditLog({ dir: path.join(dir, 'audit') });
      cleanups.push(() => log.close());
      const records = [0, 1, 2].map((i) => log.append(simpleCall(i, { user: { sub: 'alice' } })));
      const { client } = makeAuthClient(idp, path.join(dir, 'laptop'), { resources: [AUDIENCE] });
      await client.login({ loginHint: 'alice' });
      const token = await client.getAccessToken({ resource: AUDIENCE });
      await createHttpsBatchSink({ url: `${url}/audit`, token: () => token }).send(
        records,
        AbortSignal.timeout(10_000),
      );

      expect(collector.auditRecords.map((r) => r.id)).toEqual(records.map((r) => r.id));
      expect(collector.exports[0]!.headers.authorization).toBe('Bearer forwarder-token');
      await expect(
        createHttpsBatchSink({ url: `${url}/audit` }).send(records, AbortSignal.timeout(10_000)),
      ).rejects.toThrow(/401/);
    } finally {
      while (cleanups.length) await cleanups.pop()!().catch(() => {});
    }
  });
});

/** A folder for a doc snippet that resolves packages from the checkout's node_modules. */
async function snippetDir(base: string, name: string): Promise<string> {
  const work = path.join(base, name);
  await fs.mkdir(work, { recursive: true });
  await fs.symlink(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules')).catch(() => {});
  return work;
}

/** An ID token for the same user: what a careless server might accept as "a JWT from our IdP". */
async function idTokenOf(idp: TestIdp, dataDir: string): Promise<string> {
  const session = JSON.parse((await new FileSecretStore({ dataDir }).get('auth.session'))!) as { refreshToken: string };
  const response = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: session.refreshToken,
      client_id: idp.clientId,
    }),
  });
  const body = (await response.json()) as { id_token?: string };
  if (!body.id_token) throw new Error(`no ID token from the refresh: ${JSON.stringify(body)}`);
  return body.id_token;
}

/** The same token with one claim changed and the signature kept. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
  claims.sub = 'mallory';
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

async function findPythonWithPyJwt(): Promise<string | undefined> {
  for (const candidate of [process.env.GATEHOUSE_TEST_PYTHON, 'python3', '/usr/bin/python3']) {
    if (!candidate) continue;
    try {
      await run(candidate, ['-c', 'import jwt, cryptography'], { env: { PATH: process.env.PATH, HOME: os.tmpdir() } });
      return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

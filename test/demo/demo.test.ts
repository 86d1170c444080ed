import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { browseHeadless } from '../../src-main/demo/headless-browser.ts';
import { connect, NODE, ROOT, tempDir, textOf } from '../support/gateway-harness.ts';
import { isListening, processesMentioning, startDemoProcess, type DemoProcess } from './demo-process.ts';

const run = promisify(execFile);
const GATEHOUSE = path.join(ROOT, 'bin', 'gatehouse.js');
const INSPECTOR = path.join(ROOT, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');

// The acceptance path, in order: the demo as a user starts it, a real MCP client with the
// printed token, the audit log, status for scripts, a revocation, a user switch, a clean stop.
describe('gatehouse serve --demo', () => {
  let demo: DemoProcess;
  let dataDir: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let client: Client;
  const ports = new Set<number>();

  beforeAll(async () => {
    dataDir = await tempDir('gatehouse-demo-test-');
    // A stand-in home that must stay empty: the demo may not touch real AI client configs.
    home = await tempDir('gatehouse-demo-home-');
    env = {
      PATH: process.env.PATH,
      HOME: home,
      // No managed config of this machine may change what `status` reports.
      GATEHOUSE_MANAGED_CONFIG: path.join(dataDir, 'no-managed-config.json'),
    };
    demo = await startDemoProcess(['--port', '0', '--data-dir', dataDir, '--no-browser'], env);
    for (const url of [demo.printout.endpoint, demo.printout.idp, demo.printout.orgServer]) {
      ports.add(Number(new URL(url).port));
    }
    client = await connect(demo.printout.endpoint, demo.printout.clientToken, { name: 'demo-test' });
  }, 90_000);

  afterAll(async () => {
    await client?.close().catch(() => {});
    await demo?.stop('SIGKILL');
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.rm(home, { recursive: true, force: true });
  });

  async function api<T>(method: string, input: unknown = {}): Promise<T> {
    const token = new URL(demo.printout.window).hash.replace('#token=', '');
    const response = await fetch(new URL(`/api/${method}`, demo.printout.endpoint), {
      method: 'POST',
      headers: { authorization: `Bearer ${decodeURIComponent(token)}`, 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    if (!response.ok) throw new Error(`${method}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      (result) => ((result as { isError?: boolean }).isError ? `tool error: ${textOf(result)}` : 'allowed'),
      (error: Error) => error.message,
    );

  it('prints the endpoint, a client token, the window link, the policy file and what to try next', () => {
    const { printout } = demo;
    expect(printout.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(printout.clientToken).toMatch(/^gh_/);
    expect(printout.window).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ui\/#token=gh_/);
    expect(printout.policyFile).toBe(path.join(dataDir, 'demo-org', 'policy.json'));
    expect(printout.dataDir).toBe(dataDir);
    expect(printout.text).toMatch(/Signed in as:\s+alice@example\.test/);
    expect(printout.text).toMatch(/edit it to see a revocation bite/);
    expect(printout.tryNext.some((l) => l.includes('@modelcontextprotocol/inspector --cli'))).toBe(true);
    expect(printout.tryNext).toContain(
      `npx gatehouse status --json --port ${new URL(printout.endpoint).port} --data-dir ${dataDir}`,
    );
  });

  it('a real MCP client with that token lists and calls the org servers as the demo user', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'filesystem__read_text_file',
        'filesystem__write_file',
        'memory__create_entities',
        'memory__read_graph',
        'everything__echo',
        'identity__whoami',
      ]),
    );
    // Denied org-wide: not listed, and refused with the rule and whom to ask.
    expect(names).not.toContain('memory__delete_entities');
    expect(
      await outcome(client.callTool({ name: 'memory__delete_entities', arguments: { entityNames: ['x'] } })),
    ).toMatch(/no-memory-deletes[\s\S]*it-help@demo\.gatehouse\.test/);

    const plan = await client.callTool({
      name: 'filesystem__read_text_file',
      arguments: { path: path.join(dataDir, 'demo-org', 'sandbox', 'notes', 'launch-plan.md') },
    });
    expect(textOf(plan)).toContain('Launch plan');

    await client.callTool({
      name: 'memory__create_entities',
      arguments: { entities: [{ name: 'Gatehouse demo', entityType: 'project', observations: ['tried today'] }] },
    });
    expect(textOf(await client.callTool({ name: 'memory__read_graph', arguments: {} }))).toContain('Gatehouse demo');

    const who = JSON.parse(textOf(await client.callTool({ name: 'identity__whoami', arguments: {} })));
    expect(who.verified).toEqual({ sub: 'alice', email: 'alice@example.test', groups: ['eng', 'mcp-admins'] });
    expect(who.token.issuer).toBe(demo.printout.idp);
    expect(who.token.sharedSecret).toBe('verified');
    ports.add(Number(new URL(who.token.audience).port)); // the identity echo server
    demo.descendants();
  });

  it("the calls are in the audit log with the demo user's identity (window API and CLI)", async () => {
    type Page = {
      records: { server: string; name?: string; outcome: string; user?: { sub: string; email?: string } }[];
    };
    await expect
      .poll(async () => (await api<Page>('queryAudit', { filter: { server: 'identity' } })).records.length, {
        timeout: 5_000,
      })
      .toBeGreaterThan(0);
    const { records } = await api<Page>('queryAudit', {});
    const whoami = records.find((r) => r.name === 'whoami')!;
    expect(whoami.user).toMatchObject({ sub: 'alice', email: 'alice@example.test' });
    expect(records.find((r) => r.name === 'delete_entities')).toMatchObject({ outcome: 'denied' });

    const { stdout } = await run(
      NODE,
      [GATEHOUSE, 'audit', 'query', '--json', '--server', 'filesystem', '--data-dir', dataDir],
      {
        env,
      },
    );
    const fromCli = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(fromCli[0]).toMatchObject({ server: 'filesystem', name: 'read_text_file', user: { sub: 'alice' } });
  });

  it("the same records reach the org's audit receiver, sent with the user's token", async () => {
    expect(demo.printout.orgAuditLog).toBe(path.join(dataDir, 'demo-org', 'org-audit.jsonl'));
    const shipped = async () =>
      (await fs.readFile(demo.printout.orgAuditLog, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { name?: string; user?: { sub: string }; outcome: string });
    await expect.poll(async () => (await shipped()).some((r) => r.name === 'whoami'), { timeout: 10_000 }).toBe(true);
    const records = await shipped();
    expect(records.find((r) => r.name === 'whoami')).toMatchObject({ user: { sub: 'alice' }, outcome: 'ok' });
    expect(records.find((r) => r.name === 'delete_entities')).toMatchObject({ outcome: 'denied' });
  });

  it('the printed Inspector CLI command line works', async () => {
    const line = demo.printout.tryNext.find((l) => l.includes('--tool-name identity__whoami'))!;
    const token = /Bearer (gh_[\w-]+)/.exec(line)![1]!;
    expect(line).toBe(
      `npx @modelcontextprotocol/inspector --cli ${demo.printout.endpoint} --header 'Authorization: Bearer ${token}' --method tools/call --tool-name identity__whoami`,
    );
    const { stdout } = await run(
      NODE,
      [
        INSPECTOR,
        '--cli',
        demo.printout.endpoint,
        '--header',
        `Authorization: Bearer ${token}`,
        '--method',
        'tools/call',
        '--tool-name',
        'identity__whoami',
      ],
      // The Inspector keeps its own settings in HOME; give it another one than the demo's.
      { env: { ...env, HOME: path.join(dataDir, 'inspector-home') }, timeout: 60_000 },
    );
    expect(JSON.parse(textOf(JSON.parse(stdout))).verified.sub).toBe('alice');
  });

  it('gatehouse status --json, pointed at the demo, describes it', async () => {
    const port = new URL(demo.printout.endpoint).port;
    const { stdout } = await run(NODE, [GATEHOUSE, 'status', '--json', '--port', port, '--data-dir', dataDir], { env });
    const status = JSON.parse(stdout);
    expect(status).toMatchObject({
      running: true,
      mode: 'org',
      org: { name: 'Demo Org', issuer: demo.printout.idp },
      user: { sub: 'alice', groups: ['eng', 'mcp-admins'] },
      policy: { version: 'demo-1', state: 'ok' },
    });
    expect(Object.fromEntries(status.servers.map((s: { name: string; state: string }) => [s.name, s.state]))).toEqual({
      filesystem: 'ready',
      memory: 'ready',
      everything: 'ready',
      identity: 'ready',
    });
  });

  it('a tool revoked in the demo policy file is refused on the open session within 5 s', async () => {
    expect(await outcome(client.callTool({ name: 'memory__read_graph', arguments: {} }))).toBe('allowed');
    const policy = JSON.parse(await fs.readFile(demo.printout.policyFile, 'utf8'));
    policy.policyVersion = 'demo-2';
    policy.rules.push({ id: 'no-graph-reads', effect: 'deny', servers: ['memory'], tools: ['read_graph'] });
    const changedAt = Date.now();
    await fs.writeFile(demo.printout.policyFile, JSON.stringify(policy, null, 2));
    await expect
      .poll(() => outcome(client.callTool({ name: 'memory__read_graph', arguments: {} })), {
        timeout: 5_000,
        interval: 50,
      })
      .toMatch(/no-graph-reads/);
    console.log(`demo revocation delay: ${Date.now() - changedAt} ms`);
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('memory__read_graph');
  });

  it("the window's sign-out and sign-in switch to another demo user, whose group gets less", async () => {
    await api('logout');
    const { authorizationUrl } = await api<{ authorizationUrl: string }>('login');
    // What a person does on the demo IdP's page: type a demo user's name, any password.
    const page = await browseHeadless(authorizationUrl, { fill: { login: 'bob', password: 'demo' } });
    expect(page.body).toMatch(/Signed in/);
    await expect
      .poll(async () => (await api<{ user: { email: string } | null }>('getStatus')).user?.email, { timeout: 10_000 })
      .toBe('bob@example.test');
    await expect
      .poll(async () => (await client.listTools()).tools.map((t) => t.name), { timeout: 10_000 })
      .toContain('filesystem__read_text_file');
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names.some((n) => n.startsWith('everything__'))).toBe(false);
    expect(names).not.toContain('filesystem__write_file');
    expect(
      await outcome(
        client.callTool({
          name: 'filesystem__write_file',
          arguments: { path: path.join(dataDir, 'demo-org', 'sandbox', 'bob.txt'), content: 'hi' },
        }),
      ),
    ).toMatch(/sales-read-only/);
    const who = JSON.parse(textOf(await client.callTool({ name: 'identity__whoami', arguments: {} })));
    expect(who.verified).toEqual({ sub: 'bob', email: 'bob@example.test', groups: ['sales'] });
    demo.descendants();
  });

  it('SIGTERM stops everything it started: no process, no listening port, nothing in the home folder', async () => {
    await client.close();
    const pids = [...demo.descendants()];
    expect(pids.length).toBeGreaterThanOrEqual(2); // at least the filesystem and memory servers
    expect(await demo.stop('SIGTERM')).toBe(0);
    expect(demo.stderr()).toContain('Stopping the demo org (SIGTERM)');
    expect(demo.stillRunning()).toEqual([]);
    expect(processesMentioning(dataDir)).toEqual([]);
    for (const port of ports) expect(await isListening(port), `port ${port}`).toBe(false);
    expect(await fs.readdir(home)).toEqual([]);
  });
});

// Local faults: the disk filling up under the audit log, a read-only data dir, corrupt files in
// the data dir, and kill -9 at random points during a burst of calls and during client config
// writes. Calls keep working and the user is told, or the gateway refuses with a clear reason;
// nothing is left corrupted (the audit chain verifies, config files parse with old or new content).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { LeanSession } from '../../bench/lib/lean-client.ts';
import { LocalTokenStore } from '../../src-main/core/tokens/index.ts';
import { largestFile, limitFileSize, canLimitFileSize } from './support/file-size-limit.ts';
import { connect, NODE, ROOT, servers, startGateway, tempDir, textOf, isAlive } from '../support/gateway-harness.ts';

const BIN = path.join(ROOT, 'bin', 'gatehouse.js');
/** kill -9s during `gatehouse clients connect|disconnect` (the README quotes it). */
const KILLED_WRITES = 12;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await Promise.resolve(cleanups.pop()!()).catch(() => {});
});

type Serve = { child: ChildProcess; endpoint: string; stderr: () => string };

/** `gatehouse serve` as users run it; resolves once it printed its endpoint, rejects with stderr if it exits. */
async function serve(config: Record<string, unknown>, dataDir: string, dir: string): Promise<Serve> {
  const configFile = path.join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  await fs.writeFile(configFile, JSON.stringify({ mcpServers: config }));
  const child = spawn(NODE, [BIN, 'serve', '--config', configFile, '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /all servers:\s+(\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { child, endpoint, stderr: () => stderr };
}

function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('the disk fills up under the audit log', () => {
  it.skipIf(!canLimitFileSize)(
    'calls keep working, the user is told, and once there is room again the log catches up with an intact chain',
    async () => {
      const gw = await startGateway({ steady: servers.testUpstream() });
      cleanups.push(() => gw.close());
      const client = await connect(gw.gateway.endpoint, gw.token);
      cleanups.push(() => client.close());
      expect(textOf(await client.callTool({ name: 'steady__echo', arguments: { message: 'before' } }))).toBe('before');
      await gw.gateway.audit.flush();
      const auditDir = path.join(gw.dataDir, 'audit');
      limitFileSize((await largestFile(auditDir)) + 2048);
      cleanups.push(() => limitFileSize('unlimited'));

      const message = 'm'.repeat(200);
      for (let i = 0; i < 100; i++) {
        expect(textOf(await client.callTool({ name: 'steady__echo', arguments: { message } }))).toBe(message);
      }
      await expect
        .poll(async () => ((await gw.gateway.api.getStatus({})).audit?.warnings ?? []).join(' '))
        .toMatch(/audit log cannot be written: .*(EFBIG|too large)/i);
      console.log(`disk full: ${((await gw.gateway.api.getStatus({})).audit?.warnings ?? []).join(' | ')}`);

      limitFileSize('unlimited');
      await expect
        .poll(async () => (await gw.gateway.api.getStatus({})).audit?.warnings ?? ['no audit status'], {
          timeout: 15_000,
        })
        .toEqual([]);
      await gw.gateway.audit.flush();
      const records = (await gw.gateway.audit.query({ server: 'steady', limit: 500 })).records;
      const lost = gw.gateway.audit.status().droppedOnWrite;
      expect(records.length + lost).toBe(101);
      expect((await gw.gateway.audit.verify()).ok).toBe(true);
    },
  );
});

describe('the data dir', () => {
  it('read-only: serve refuses to start, names the file and the reason, and leaves no server process', async () => {
    const dir = await tempDir();
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    const dataDir = path.join(dir, 'data');
    const first = await serve({ t: servers.testUpstream() }, dataDir, dir);
    first.child.kill('SIGTERM');
    await new Promise((r) => first.child.once('exit', r));
    // Root ignores file modes, so as root the gateway runs as nobody over a dir nobody may not write.
    const asRoot = process.getuid?.() === 0;
    await fs.chmod(dir, 0o755);
    if (asRoot) execFileSync('chown', ['-R', '65534:65534', dataDir]);
    execFileSync('chmod', ['-R', 'a-w', dataDir]);
    cleanups.push(() => execFileSync('chmod', ['-R', 'u+w', dataDir]));
    const configFile = path.join(dir, 'ro-config.json');
    await fs.writeFile(configFile, JSON.stringify({ mcpServers: { t: servers.testUpstream() } }), { mode: 0o644 });
    const child = spawn(NODE, [BIN, 'serve', '--config', configFile, '--port', '0', '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asRoot && { uid: 65534, gid: 65534 }),
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    console.log(`read-only data dir: exit ${code}: ${stderr.trim()}`);
    expect(code).toBe(1);
    expect(stderr).toContain(dataDir);
    expect(stderr).toMatch(/EACCES|EROFS|permission|read-only/i);
    expect(stderr).toMatch(/cannot write its data dir .*--data-dir/s);
    const orphans = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(configFile));
    expect(orphans).toEqual([]);
  });

  it('a corrupt list cache, settings or toggles file costs nothing but a wait; a corrupt token file is refused clearly', async () => {
    const dir = await tempDir();
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    const dataDir = path.join(dir, 'data');
    const first = await startGateway({ t: servers.testUpstream() }, { dataDir });
    await expect
      .poll(() => first.gateway.pool.get('t')!.lists?.tools.length ?? 0, { timeout: 15_000 })
      .toBeGreaterThan(0);
    await first.gateway.setServerEnabled('t', true);
    await first.close();

    for (const [file, content] of [
      ['cache/lists/t.json', '{"tools": [{"name": "echo"'],
      ['cache/lists/t.json', '{"hash": 1, "tools": "not a list"}'],
      ['settings.json', '\u0000\u0000\u0000'],
      ['server-toggles.json', '[1, 2'],
    ] as const) {
      await fs.mkdir(path.dirname(path.join(dataDir, file)), { recursive: true });
      await fs.writeFile(path.join(dataDir, file), content);
      const gw = await startGateway({ t: servers.testUpstream() }, { dataDir });
      try {
        const client = await connect(gw.gateway.endpoint, gw.token);
        try {
          await expect
            .poll(async () => (await client.listTools()).tools.map((t) => t.name), { timeout: 15_000 })
            .toContain('t__echo');
          expect(textOf(await client.callTool({ name: 't__echo', arguments: { message: file } }))).toBe(file);
        } finally {
          await client.close();
        }
      } finally {
        await gw.close();
      }
    }

    await fs.writeFile(path.join(dataDir, 'client-tokens.json'), '{"tokens": [');
    const refused = await run(['serve', '--port', '0', '--data-dir', dataDir]);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/client-tokens\.json is corrupt.*Delete it and run 'gatehouse token'/s);
  }, 90_000);
});

describe('kill -9 at random points', () => {
  it('during a burst of calls, three times over: the audit chain verifies, and the gateway starts and serves again', async () => {
    const dir = await tempDir();
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    const dataDir = path.join(dir, 'data');
    const token = await new LocalTokenStore(dataDir).getOrCreate('burst');
    for (let round = 0; round < 3; round++) {
      const gw = await serve({ t: servers.testUpstream() }, dataDir, dir);
      const sessions = await Promise.all(Array.from({ length: 8 }, () => LeanSession.open(gw.endpoint, token)));
      const upstreamPid = Number(textOf(await sessions[0]!.request('tools/call', { name: 't__pid', arguments: {} })));
      let stop = false;
      const burst = sessions.map(async (s) => {
        while (!stop) {
          await s
            .request('tools/call', { name: 't__echo', arguments: { message: 'burst' } })
            .catch(() => (stop = true));
        }
      });
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 1000));
      gw.child.kill('SIGKILL');
      stop = true;
      await Promise.all(burst);
      await Promise.all(sessions.map((s) => s.close()));
      // The server it started goes too: nothing is orphaned by a kill -9.
      await expect.poll(() => isAlive(upstreamPid), { timeout: 10_000 }).toBe(false);
      const verify = await run(['audit', 'verify', '--data-dir', dataDir]);
      expect(verify.code, verify.out).toBe(0);
    }
    const again = await serve({ t: servers.testUpstream() }, dataDir, dir);
    const session = await LeanSession.open(again.endpoint, token);
    expect(textOf(await session.request('tools/call', { name: 't__echo', arguments: { message: 'after' } }))).toBe(
      'after',
    );
    await session.close();
    const calls = await run(['audit', 'query', '--data-dir', dataDir, '--json', '--limit', '1000']);
    console.log(
      `after 3 kills: audit verify ok, ${calls.out.split('\n').filter((l) => l.includes('"burst"') || l.includes('echo')).length} lines of records`,
    );
  }, 90_000);

  it('during client config writes: the file always parses and holds the old or the new content; the next write works', async () => {
    const dir = await tempDir();
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    const home = path.join(dir, 'home');
    const dataDir = path.join(dir, 'data');
    const file = path.join(home, '.cursor', 'mcp.json');
    await fs.mkdir(path.dirname(file), { recursive: true });
    const original =
      '{\n  // my servers\n  "mcpServers": { "mine": { "command": "my-server" } },\n  "other": [1, 2, 3]\n}\n';
    await fs.writeFile(file, original);
    const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
    // How long one write takes here (start, lock, read, write, rename): the kills land anywhere in it.
    const timed = Date.now();
    expect((await run(['clients', 'connect', 'cursor', '--data-dir', dataDir], env)).code).toBe(0);
    const writeMs = Date.now() - timed;
    expect((await run(['clients', 'disconnect', 'cursor', '--data-dir', dataDir], env)).code).toBe(0);
    const seen = new Set<string>();
    let kills = 0;
    // Until the kills have landed both before and after a write (timing varies on a busy machine).
    for (let i = 0; i < 40 && (i < KILLED_WRITES || seen.size < 2); i++, kills++) {
      const command = i % 2 === 0 ? 'connect' : 'disconnect';
      const child = spawn(NODE, [BIN, 'clients', command, 'cursor', '--data-dir', dataDir], {
        env,
        stdio: 'ignore',
      });
      const exited = new Promise((r) => child.once('exit', r));
      await new Promise((r) => setTimeout(r, writeMs * (0.3 + Math.random() * 1.2)));
      child.kill('SIGKILL');
      await exited;
      const text = await fs.readFile(file, 'utf8');
      const value = parseJsonc(text) as { mcpServers: Record<string, unknown>; other: number[] };
      expect(value.other, text).toEqual([1, 2, 3]);
      expect(value.mcpServers.mine, text).toEqual({ command: 'my-server' });
      expect(text).toContain('// my servers');
      seen.add(value.mcpServers.gatehouse ? 'connected' : 'not connected');
    }
    // No stale lock or half-written state blocks the next writer.
    const started = Date.now();
    const next = await run(['clients', 'connect', 'cursor', '--data-dir', dataDir], env);
    expect(next.code, next.out).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    const final = parseJsonc(await fs.readFile(file, 'utf8')) as { mcpServers: Record<string, unknown> };
    expect(final.mcpServers.gatehouse).toBeDefined();
    const back = await run(['clients', 'disconnect', 'cursor', '--data-dir', dataDir], env);
    expect(back.code, back.out).toBe(0);
    expect(seen.size, 'the kills should land both before and after a write').toBe(2);
    console.log(
      `config writes killed ${KILLED_WRITES} times, states seen: ${[...seen].join(', ')}; next write took ${Date.now() - started} ms`,
    );
  }, 90_000);
});

// `node bench/profile.ts`: where the gateway's CPU goes on the small-call path. Runs the gateway
// with `--cpu-prof`, makes BENCH_PROFILE_CALLS sequential small calls (default 5000) through
// /servers/bench/mcp (BENCH_PROFILE_PATH=aggregate for /mcp; BENCH_PROFILE_TOOL=big for the
// 100 KB result), stops it cleanly so the profile is
// written, and prints the top self-time functions and areas. The .cpuprofile is kept in
// test-artifacts/bench/ (open it in Chrome DevTools or speedscope).
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT, stopAll, stopAllOnSignal } from './lib/children.ts';
import { selfTimes, type CpuProfile, type SelfTime } from './lib/cpu-profile.ts';
import { startGatewayProcess } from './lib/gateway-process.ts';
import { LeanSession } from './lib/lean-client.ts';
import { cpuMs } from './lib/proc-stats.ts';
import { startEchoUpstream } from './lib/upstream-process.ts';

const CALLS = Number(process.env.BENCH_PROFILE_CALLS ?? 5000);
const AGGREGATE = process.env.BENCH_PROFILE_PATH === 'aggregate';
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 25);
/** `echo` (small call, the default) or `big` (the 100 KB result). */
const TOOL = process.env.BENCH_PROFILE_TOOL === 'big' ? 'big' : 'echo';

function table(rows: SelfTime[], withWhere: boolean): string {
  return rows
    .map(
      (r) =>
        `${r.ms.toFixed(0).padStart(7)} ms ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.name.padEnd(withWhere ? 34 : 24)}${withWhere ? ` ${r.area.padEnd(22)} ${r.where}` : ''}`,
    )
    .join('\n');
}

async function main(): Promise<void> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-profile-'));
  const profileDir = path.join(workDir, 'profile');
  stopAllOnSignal(() => rm(workDir, { recursive: true, force: true }));
  try {
    const upstream = await startEchoUpstream(100);
    const gateway = await startGatewayProcess({
      config: { mcpServers: { bench: { url: upstream.url } } },
      dataDir: path.join(workDir, 'data'),
      workDir,
      label: 'profiled-gateway',
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
    });
    const url = AGGREGATE ? gateway.endpoint : gateway.serverEndpoint('bench');
    const name = AGGREGATE ? 'bench__echo' : 'echo';
    const session = await LeanSession.open(url, gateway.token);
    const call = () =>
      session.request('tools/call', { name, arguments: { message: 'hello from the gatehouse bench' } });
    for (let i = 0; i < 500; i++) await call();
    const cpuBefore = cpuMs(gateway.pid);
    const started = performance.now();
    for (let i = 0; i < CALLS; i++) await call();
    const elapsed = performance.now() - started;
    const gatewayCpu = cpuMs(gateway.pid) - cpuBefore;
    await session.close();
    await gateway.stop();
    await upstream.stop();

    const file = (await readdir(profileDir)).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('the gateway wrote no .cpuprofile (did it exit cleanly?)');
    const artifacts = path.join(REPO_ROOT, 'test-artifacts', 'bench');
    await mkdir(artifacts, { recursive: true });
    const kept = path.join(
      artifacts,
      `gateway-${TOOL === 'echo' ? 'small' : 'big'}-calls${AGGREGATE ? '-aggregate' : ''}.cpuprofile`,
    );
    await copyFile(path.join(profileDir, file), kept);
    const profile = JSON.parse(await readFile(kept, 'utf8')) as CpuProfile;
    const { functions, areas, callers, totalMs } = selfTimes(profile, REPO_ROOT);

    process.stdout.write(
      [
        `${CALLS} sequential ${TOOL} calls through ${AGGREGATE ? '/mcp' : '/servers/bench/mcp'} in ${elapsed.toFixed(0)} ms ` +
          `(${((elapsed / CALLS) * 1000).toFixed(0)} µs per call); gateway CPU ${((gatewayCpu / CALLS) * 1000).toFixed(0)} µs per call ` +
          '(profiled: the profiler adds overhead)',
        `profile: ${path.relative(REPO_ROOT, kept)}, ${totalMs.toFixed(0)} ms of non-idle samples over the whole process life`,
        '',
        'By area (self time):',
        table(areas, false),
        '',
        `Top ${TOP} functions by self time:`,
        table(functions.slice(0, TOP), true),
        '',
        'Self time by the nearest gateway function on the stack (what our code set off, Node/undici/GC included):',
        table(callers.slice(0, 15), true),
        '',
      ].join('\n'),
    );
  } finally {
    await stopAll();
    if (process.env.BENCH_KEEP === '1') process.stderr.write(`[bench] kept ${workDir} (configs, gateway logs)\n`);
    else await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`profile failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});

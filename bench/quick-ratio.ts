// `node bench/quick-ratio.ts`: idle RSS, the 100 KB and small-call p50s and the 16-session throughput
// ratio, in ~30 s, for iterating on the fast path (npm run bench measures everything, in minutes).
// BENCH_ROUNDS, BENCH_BIG_CALLS, BENCH_SMALL_CALLS as in bench/lib/settings.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopAll, stopAllOnSignal } from './lib/children.ts';
import { startGatewayProcess } from './lib/gateway-process.ts';
import { LeanSession } from './lib/lean-client.ts';
import {
  measureLatency,
  measureThroughput,
  pairedAddedP50,
  warmUp,
  type BenchPath,
  type PathName,
} from './lib/phases.ts';
import { memory } from './lib/proc-stats.ts';
import { median } from './lib/stats.ts';
import { startEchoUpstream, startTcpRelay } from './lib/upstream-process.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const BIG_CALLS = Number(process.env.BENCH_BIG_CALLS ?? 25);
const SMALL_CALLS = Number(process.env.BENCH_SMALL_CALLS ?? 50);

async function main(): Promise<void> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-quick-'));
  stopAllOnSignal(() => rm(workDir, { recursive: true, force: true }));
  try {
    const upstream = await startEchoUpstream(100);
    const gateway = await startGatewayProcess({
      config: { mcpServers: { bench: { url: upstream.url } } },
      dataDir: path.join(workDir, 'data'),
      workDir,
      label: 'gateway',
      nodeArgs: (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean),
    });
    const relay = await startTcpRelay(upstream.url);
    await sleep(2000);
    const idle = memory(gateway.pid).rssKb / 1024;
    const paths: BenchPath[] = [
      { name: 'direct', url: upstream.url, token: undefined, tool: (t) => t, viaGateway: false },
      { name: 'server', url: gateway.serverEndpoint('bench'), token: gateway.token, tool: (t) => t, viaGateway: true },
      { name: 'relay', url: relay.url, token: undefined, tool: (t) => t, viaGateway: false },
    ];
    const sessions = new Map<PathName, LeanSession>();
    for (const p of paths) sessions.set(p.name, await LeanSession.open(p.url, p.token));
    const big = { tool: 'big', args: {}, check: () => {} };
    const small = { tool: 'echo', args: { message: 'hello' }, check: () => {} };
    await warmUp(sessions, paths, [small, big], 200);
    const common = { paths, sessions, rounds: ROUNDS, gatewayPid: gateway.pid };
    const bigLatency = await measureLatency({ ...common, call: big, callsPerRound: BIG_CALLS });
    const smallLatency = await measureLatency({ ...common, call: small, callsPerRound: SMALL_CALLS });
    // The relay (the floor of any proxy, bench/tcp-relay.ts) is in the latency rounds only.
    const throughput = await measureThroughput({
      ...common,
      paths: paths.filter((p) => p.name !== 'relay'),
      sessions: 16,
      seconds: 2,
      call: small,
    });
    const cps = (n: PathName) => throughput.get(n)!.calls / throughput.get(n)!.elapsedMs;
    const b = (n: PathName) => median(bigLatency.get(n)!.samples);
    const s = bigLatency.get('server')!;
    process.stdout.write(
      `rss idle ${idle.toFixed(1)} MiB | 100 KB p50 direct ${b('direct').toFixed(3)} ms, server ${b('server').toFixed(3)} ms, ` +
        `ratio ${(b('server') / b('direct')).toFixed(2)}x (relay ${(b('relay') / b('direct')).toFixed(2)}x), gateway CPU/call ${(s.gatewayCpuMs / s.calls).toFixed(3)} ms | ` +
        `small added p50 ${pairedAddedP50(smallLatency, 'server').toFixed(3)} ms | ` +
        `throughput x16 ${(cps('server') / cps('direct')).toFixed(2)}x, gateway CPU/call ` +
        `${(throughput.get('server')!.gatewayCpuMs / throughput.get('server')!.calls).toFixed(3)} ms | load ${os.loadavg()[0]!.toFixed(2)}\n`,
    );
    for (const session of sessions.values()) await session.close();
    await gateway.stop();
    await relay.stop();
    await upstream.stop();
  } finally {
    await stopAll();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `quick-ratio failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});

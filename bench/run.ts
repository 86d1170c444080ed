// `npm run bench`: the direct path (client → upstream) against the path through Gatehouse
// (client → `gatehouse serve` → upstream), interleaved in one run. Prints a table against the
// targets of issue 2 and, as the last line, one JSON object with every figure and verdict.
// BENCH_QUICK=1 for a ~30 s smoke run; sizes and iterations: bench/lib/settings.ts.
// BENCH_GATEWAY_NODE_ARGS="--max-semi-space-size=4 …" passes V8/Node flags to the gateway process
// (experiments); BENCH_GATEWAY_CLI=path/to/main.js runs another gateway entry (a bundled build);
// BENCH_KEEP=1 keeps the temp dir with the configs and the gateway logs.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { auditLogFigures, formatAuditCost, measureAuditCost } from './lib/audit-cost.ts';
import { stopAll, stopAllOnSignal } from './lib/children.ts';
import { startGatewayProcess, type GatewayProcess } from './lib/gateway-process.ts';
import { LeanSession } from './lib/lean-client.ts';
import {
  addedP99,
  measureConnect,
  measureLatency,
  measureThroughput,
  pairedAddedP50,
  warmUp,
  type BenchPath,
  type PathName,
  type ToolCall,
} from './lib/phases.ts';
import { memory } from './lib/proc-stats.ts';
import { formatTable, verdicts, type Figures } from './lib/report.ts';
import { benchSettings, type BenchSettings } from './lib/settings.ts';
import { measureSlowStart } from './lib/slow-start.ts';
import { median, percentile, round } from './lib/stats.ts';
import { startEchoUpstream, startTcpRelay } from './lib/upstream-process.ts';

const SERVER = 'bench';
const MESSAGE = 'hello from the gatehouse bench';

const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

function paths(upstreamUrl: string, gateway: GatewayProcess, relayUrl: string): BenchPath[] {
  return [
    { name: 'direct', url: upstreamUrl, token: undefined, tool: (t) => t, viaGateway: false },
    { name: 'server', url: gateway.serverEndpoint(SERVER), token: gateway.token, tool: (t) => t, viaGateway: true },
    {
      name: 'aggregate',
      url: gateway.endpoint,
      token: gateway.token,
      tool: (t) => `${SERVER}__${t}`,
      viaGateway: true,
    },
    { name: 'relay', url: relayUrl, token: undefined, tool: (t) => t, viaGateway: false },
  ];
}

function calls(settings: BenchSettings): { small: ToolCall; big: ToolCall } {
  const text = (result: Record<string, unknown>) => (result.content as { text?: string }[] | undefined)?.[0]?.text;
  return {
    small: {
      tool: 'echo',
      args: { message: MESSAGE },
      check: (r) => {
        if (text(r) !== MESSAGE) throw new Error(`echo answered ${JSON.stringify(r).slice(0, 200)}`);
      },
    },
    big: {
      tool: 'big',
      args: {},
      check: (r) => {
        if (text(r)?.length !== settings.bigKb * 1024) throw new Error('big answered the wrong size');
      },
    },
  };
}

/** The audit lines printed under the table (issue 4). */
const auditText = { value: '' };

const capitalized = { server: 'Server', aggregate: 'Aggregate' } as const;

async function run(settings: BenchSettings, workDir: string): Promise<Figures> {
  const f: Figures = { bigKb: settings.bigKb, sessions: settings.sessions, slowStartMs: settings.slowStartMs };
  const upstream = await startEchoUpstream(settings.bigKb);
  progress(`upstream at ${upstream.url}`);
  const dataDir = path.join(workDir, 'data');
  await mkdir(dataDir, { recursive: true });
  const gateway = await startGatewayProcess({
    config: { mcpServers: { [SERVER]: { url: upstream.url } } },
    dataDir,
    workDir,
    label: 'gateway',
    nodeArgs: (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean),
  });
  const startToReady = [gateway.startToReadyMs];
  progress(`gateway pid ${gateway.pid} ready in ${gateway.startToReadyMs.toFixed(0)} ms`);

  await sleep(settings.idleSettleMs);
  f.rssIdleMib = memory(gateway.pid).rssKb / 1024;

  const relay = await startTcpRelay(upstream.url);
  const all = paths(upstream.url, gateway, relay.url);
  const { small, big } = calls(settings);
  const sessions = new Map<PathName, LeanSession>();
  for (const p of all) sessions.set(p.name, await LeanSession.open(p.url, p.token));
  try {
    progress('warming up');
    await warmUp(sessions, all, [small, big], settings.warmupCalls);

    progress(`small calls: ${settings.rounds} rounds x ${settings.smallCallsPerRound} per path`);
    const smallLatency = await measureLatency({
      paths: all,
      sessions,
      call: small,
      rounds: settings.rounds,
      callsPerRound: settings.smallCallsPerRound,
      gatewayPid: gateway.pid,
    });
    progress(`${settings.bigKb} KB results: ${settings.rounds} rounds x ${settings.bigCallsPerRound} per path`);
    const bigLatency = await measureLatency({
      paths: all,
      sessions,
      call: big,
      rounds: settings.rounds,
      callsPerRound: settings.bigCallsPerRound,
      gatewayPid: gateway.pid,
    });
    Object.assign(
      f,
      await measureAuditCost({
        direct: { path: all[0]!, session: sessions.get('direct')! },
        audited: { path: all[1]!, session: sessions.get('server')!, pid: gateway.pid },
        config: { mcpServers: { [SERVER]: { url: upstream.url } } },
        workDir,
        call: small,
        rounds: settings.rounds,
        callsPerRound: settings.smallCallsPerRound,
        warmupCalls: settings.warmupCalls,
        progress,
      }),
    );
    f.smallDirectP50Ms = median(smallLatency.get('direct')!.samples);
    f.smallDirectP99Ms = percentile(smallLatency.get('direct')!.samples, 99);
    f.bigDirectP50Ms = median(bigLatency.get('direct')!.samples);
    f.bigDirectP99Ms = percentile(bigLatency.get('direct')!.samples, 99);
    for (const name of ['server', 'aggregate'] as const) {
      const P = capitalized[name];
      const s = smallLatency.get(name)!;
      f[`small${P}P50Ms`] = median(s.samples);
      f[`small${P}P99Ms`] = percentile(s.samples, 99);
      f[`added${P}P50Ms`] = pairedAddedP50(smallLatency, name);
      f[`added${P}P99Ms`] = addedP99(smallLatency, name);
      f[`cpuPerSmallCall${P}Ms`] = s.gatewayCpuMs / s.calls;
      const b = bigLatency.get(name)!;
      f[`big${P}P50Ms`] = median(b.samples);
      f[`big${P}P99Ms`] = percentile(b.samples, 99);
      f[`big${P}RatioP50`] = f[`big${P}P50Ms`]! / f.bigDirectP50Ms;
    }
    f.addedRelayP50Ms = pairedAddedP50(smallLatency, 'relay');
    f.bigRelayRatioP50 = median(bigLatency.get('relay')!.samples) / f.bigDirectP50Ms;
  } finally {
    for (const session of sessions.values()) await session.close();
  }

  progress(`connect + initialize + tools/list (SDK Client): ${settings.connectRounds} rounds`);
  const connect = await measureConnect(
    all.filter((p) => p.name !== 'relay'),
    settings.connectRounds,
  );
  f.connectDirectP50Ms = median(connect.get('direct')!);
  for (const name of ['server', 'aggregate'] as const) {
    f[`connect${capitalized[name]}P50Ms`] = median(connect.get(name)!);
    f[`connect${capitalized[name]}Ratio`] = f[`connect${capitalized[name]}P50Ms`]! / f.connectDirectP50Ms;
  }

  progress(
    `throughput: ${settings.sessions} sessions, ${settings.throughputRounds} rounds x ${settings.throughputSeconds} s per path`,
  );
  const throughput = await measureThroughput({
    paths: all,
    sessions: settings.sessions,
    rounds: settings.throughputRounds,
    seconds: settings.throughputSeconds,
    call: small,
    gatewayPid: gateway.pid,
  });
  const cps = (name: PathName) => {
    const t = throughput.get(name)!;
    return (t.calls * 1000) / t.elapsedMs;
  };
  f.throughputDirectCps = cps('direct');
  for (const name of ['server', 'aggregate'] as const) {
    const P = capitalized[name];
    f[`throughput${P}Cps`] = cps(name);
    f[`throughput${P}Ratio`] = cps(name) / f.throughputDirectCps;
    f[`cpuPerCallUnderLoad${P}Ms`] = throughput.get(name)!.gatewayCpuMs / throughput.get(name)!.calls;
  }
  f.throughputRelayRatio = cps('relay') / f.throughputDirectCps;
  await relay.stop();
  const afterLoad = memory(gateway.pid);
  f.rssAfterLoadMib = afterLoad.rssKb / 1024;
  f.rssPeakMib = afterLoad.peakRssKb / 1024;
  await gateway.stop();

  progress(`restart with an upstream that takes ${settings.slowStartMs / 1000} s to start (fills the cache first)`);
  const slow = await measureSlowStart({ upstreamUrl: upstream.url, workDir, slowStartMs: settings.slowStartMs });
  if (!slow.listedAllServers) throw new Error('the first tools/list after the restart missed a server');
  if (!slow.answeredBeforeSlowServer) progress('note: the first tools/list came after the slow server was up');
  startToReady.push(...slow.startToReadyMs);
  f.startToReadyMs = median(startToReady);
  f.startToReadyMaxMs = Math.max(...startToReady);
  f.firstToolsListSlowUpstreamMs = slow.firstToolsListMs;
  f.spawnToFirstToolsListMs = slow.spawnToFirstToolsListMs;
  await upstream.stop();
  progress('audit log figures (bench/audit.ts, scaled down)');
  const auditLog = await auditLogFigures(progress);
  Object.assign(f, auditLog.figures);
  auditText.value = `${formatAuditCost(f)}\n${auditLog.text}`;
  return f;
}

async function main(): Promise<number> {
  const settings = benchSettings();
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-bench-'));
  stopAllOnSignal(() => rm(workDir, { recursive: true, force: true }));
  const loadBefore = os.loadavg()[0]!;
  const started = Date.now();
  try {
    progress(`${settings.mode} mode on ${os.cpus().length} cores, load average ${loadBefore.toFixed(2)}`);
    const figures = await run(settings, workDir);
    const rounded = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, round(v)]));
    process.stdout.write(`\n${formatTable(figures)}\n\n${auditText.value}\n\n`);
    const loadAfter = os.loadavg()[0]!;
    process.stdout.write(
      `${JSON.stringify({
        bench: 'gatehouse',
        mode: settings.mode,
        settings,
        machine: { cores: os.cpus().length, loadBefore: round(loadBefore, 2), loadAfter: round(loadAfter, 2) },
        durationS: round((Date.now() - started) / 1000, 1),
        figures: rounded,
        verdicts: verdicts(figures),
      })}\n`,
    );
    return 0;
  } finally {
    await stopAll();
    if (process.env.BENCH_KEEP === '1') process.stderr.write(`[bench] kept ${workDir} (configs, gateway logs)\n`);
    else await rm(workDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);

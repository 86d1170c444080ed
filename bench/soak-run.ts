// The soak: N concurrent AI-client sessions calling tools on M stdio upstream servers through one
// gateway process for a fixed time, loopback only. Sessions churn (close and reopen) so that a leak
// per session shows up. Every `sampleMs` it samples the gateway's RSS, open file descriptors
// (/proc/<pid>/fd), child processes and session count, and the latency of the calls since the last
// sample. `npm run soak` runs it for 10 minutes; test/hardening/soak.test.ts for ~25 s.
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeBinary, REPO_ROOT } from './lib/children.ts';
import { LeanSession } from './lib/lean-client.ts';
import { memory } from './lib/proc-stats.ts';
import { median, percentile, round } from './lib/stats.ts';

export type SoakOptions = {
  sessions: number;
  servers: number;
  durationMs: number;
  /** Samples before this are warm-up: the memory and fd baselines are taken after it. */
  warmupMs: number;
  sampleMs: number;
  /** Mean pause between a session's calls (uniform 0..2×): a client that thinks, not a flood. */
  pauseMs: number;
  /** A session closes and a new one opens after this many calls. */
  callsPerSession: number;
  log?: (line: string) => void;
};

export type SoakSample = {
  atS: number;
  rssMb: number;
  fds: number;
  children: number;
  sessions: number;
  calls: number;
  p50Ms: number;
  p99Ms: number;
};

export type SoakResult = {
  options: Omit<SoakOptions, 'log'>;
  samples: SoakSample[];
  calls: number;
  errors: string[];
  sessionsOpened: number;
  p50Ms: number;
  p99Ms: number;
  callsPerSecond: number;
  /** Idle, every server up, before the first client. */
  before: { fds: number; children: number; rssMb: number };
  /** Idle again, after every client closed its session. */
  after: { sessions: number; fds: number; children: number; rssMb: number };
  /** The first sample after warm-up. */
  baseline: { fds: number; rssMb: number; children: number };
};

type GatewayChild = { child: ChildProcess; port: number; token: string; sessions(): Promise<number> };

const TEST_UPSTREAM = path.join(REPO_ROOT, 'test', 'support', 'test-upstream.ts');

async function startGatewayChild(dataDir: string, servers: number): Promise<GatewayChild> {
  const mcpServers: Record<string, unknown> = {};
  for (let i = 0; i < servers; i++) mcpServers[`s${i}`] = { command: nodeBinary(), args: [TEST_UPSTREAM] };
  const child = fork(path.join(REPO_ROOT, 'bench', 'soak-gateway.ts'), [JSON.stringify({ dataDir, mcpServers })], {
    execPath: nodeBinary(),
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the soak gateway did not start in 30 s\n${stderr}`)), 30_000);
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const match = /ready (\d+) (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the soak gateway exited (${code}) before it was ready\n${stderr}`));
    });
  });
  const sessions = () =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the soak gateway did not answer a stats request')), 10_000);
      child.once('message', (m: { sessions: number }) => {
        clearTimeout(timer);
        resolve(m.sessions);
      });
      child.send({ type: 'stats' });
    });
  return { child, port: Number(ready[1]), token: ready[2]!, sessions };
}

async function stopGatewayChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Direct children of every thread of the process (Linux /proc/<pid>/task/<tid>/children). */
export function childPids(pid: number): number[] {
  const pids: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    if (list) pids.push(...list.split(' ').map(Number));
  }
  return pids;
}

const mb = (kb: number) => round(kb / 1024, 1);

/** One AI client: calls echo on random servers via /mcp, reopening its session every `callsPerSession` calls. */
async function clientLoop(
  endpoint: string,
  token: string,
  options: SoakOptions,
  until: number,
  record: { latencies: number[]; calls: number; errors: string[]; sessionsOpened: number },
): Promise<void> {
  while (performance.now() < until) {
    let session: LeanSession | undefined;
    try {
      session = await LeanSession.open(endpoint, token);
      record.sessionsOpened++;
      for (let i = 0; i < options.callsPerSession && performance.now() < until; i++) {
        await sleep(Math.random() * 2 * options.pauseMs);
        const server = `s${Math.floor(Math.random() * options.servers)}`;
        const message = `${server}-${i}`;
        const started = performance.now();
        const result = await session.request('tools/call', { name: `${server}__echo`, arguments: { message } });
        record.latencies.push(performance.now() - started);
        record.calls++;
        const text = (result.content as { text?: string }[] | undefined)?.[0]?.text;
        if (text !== message) throw new Error(`echo on ${server} answered ${JSON.stringify(result).slice(0, 200)}`);
      }
    } catch (error) {
      if (record.errors.length < 20) record.errors.push((error as Error).message);
      else record.errors.push('');
    } finally {
      await session?.close();
    }
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-soak-'));
  const gateway = await startGatewayChild(path.join(workDir, 'data'), options.servers);
  const pid = gateway.child.pid!;
  try {
    const endpoint = `http://127.0.0.1:${gateway.port}/mcp`;
    // Every server up before the clock starts: the soak measures steady state, not start-up.
    const probe = await LeanSession.open(endpoint, gateway.token);
    for (let i = 0; i < options.servers; i++) {
      await probe.request('tools/call', { name: `s${i}__echo`, arguments: { message: 'up' } });
    }
    await probe.close();
    await sleep(500);
    const before = { fds: openFds(pid), children: childPids(pid).length, rssMb: mb(memory(pid).rssKb) };
    log(`idle before the load: rss=${before.rssMb}MB fds=${before.fds} children=${before.children}`);

    const record = { latencies: [] as number[], calls: 0, errors: [] as string[], sessionsOpened: 0 };
    const allLatencies: number[] = [];
    const started = performance.now();
    const until = started + options.durationMs;
    const clients = Array.from({ length: options.sessions }, () =>
      clientLoop(endpoint, gateway.token, options, until, record),
    );
    const samples: SoakSample[] = [];
    const sampler = (async () => {
      while (performance.now() < until) {
        await sleep(Math.min(options.sampleMs, Math.max(0, until - performance.now())));
        const window = record.latencies.splice(0);
        allLatencies.push(...window);
        const sample: SoakSample = {
          atS: round((performance.now() - started) / 1000, 1),
          rssMb: mb(memory(pid).rssKb),
          fds: openFds(pid),
          children: childPids(pid).length,
          sessions: await gateway.sessions(),
          calls: window.length,
          p50Ms: round(median(window), 2),
          p99Ms: round(percentile(window, 99), 2),
        };
        samples.push(sample);
        log(
          `t=${sample.atS}s rss=${sample.rssMb}MB fds=${sample.fds} children=${sample.children} ` +
            `sessions=${sample.sessions} calls=${sample.calls} p50=${sample.p50Ms}ms p99=${sample.p99Ms}ms` +
            ` errors=${record.errors.length}`,
        );
      }
    })();
    await Promise.all([...clients, sampler]);
    allLatencies.push(...record.latencies.splice(0));
    const elapsedS = (performance.now() - started) / 1000;

    // Every client said goodbye (DELETE): the gateway must hold no session, and give back the fds.
    let sessions = await gateway.sessions();
    for (let i = 0; i < 20 && sessions > 0; i++) {
      await sleep(250);
      sessions = await gateway.sessions();
    }
    await sleep(500);
    const warm = samples.find((s) => s.atS * 1000 >= options.warmupMs) ?? samples[0]!;
    return {
      options: {
        sessions: options.sessions,
        servers: options.servers,
        durationMs: options.durationMs,
        warmupMs: options.warmupMs,
        sampleMs: options.sampleMs,
        pauseMs: options.pauseMs,
        callsPerSession: options.callsPerSession,
      },
      samples,
      calls: allLatencies.length,
      errors: record.errors,
      sessionsOpened: record.sessionsOpened,
      p50Ms: round(median(allLatencies), 2),
      p99Ms: round(percentile(allLatencies, 99), 2),
      callsPerSecond: round(allLatencies.length / elapsedS, 1),
      before,
      after: { sessions, fds: openFds(pid), children: childPids(pid).length, rssMb: mb(memory(pid).rssKb) },
      baseline: { fds: warm.fds, rssMb: warm.rssMb, children: warm.children },
    };
  } finally {
    await stopGatewayChild(gateway.child);
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * How much RSS grows per call after warm-up, in bytes: the least-squares slope of RSS over the
 * calls made so far. With audit on, each recorded call adds its entry to the audit log's
 * in-memory query index (kept until retention drops the record), so this is not zero by design.
 */
export function rssBytesPerCall(result: SoakResult): number {
  const steady = result.samples.filter((s) => s.atS * 1000 >= result.options.warmupMs);
  let calls = 0;
  const points = steady.map((s) => [(calls += s.calls), s.rssMb * 1024 * 1024] as const);
  if (points.length < 3) return Number.NaN;
  const meanX = points.reduce((a, [x]) => a + x, 0) / points.length;
  const meanY = points.reduce((a, [, y]) => a + y, 0) / points.length;
  const cov = points.reduce((a, [x, y]) => a + (x - meanX) * (y - meanY), 0);
  const varX = points.reduce((a, [x]) => a + (x - meanX) ** 2, 0);
  return round(cov / varX, 0);
}

/**
 * What a soak must show; empty when it held. Memory is "flat" when the median RSS of the last
 * third of the post-warm-up samples is within `rssGrowth` (fraction) + `rssSlackMb` of the first third,
 * and (long runs, where GC noise averages out) RSS grows by at most `maxBytesPerCall` per call.
 */
export function soakProblems(
  result: SoakResult,
  limits: { rssGrowth: number; rssSlackMb: number; maxBytesPerCall?: number },
): string[] {
  const problems: string[] = [];
  if (result.errors.length > 0) {
    problems.push(
      `${result.errors.length} calls failed, first: ${result.errors.filter(Boolean).slice(0, 3).join(' | ')}`,
    );
  }
  if (result.calls === 0) problems.push('no call was made');
  if (result.after.sessions !== 0)
    problems.push(`${result.after.sessions} sessions left open after every client closed`);
  if (result.after.children !== result.options.servers) {
    problems.push(`${result.after.children} child processes for ${result.options.servers} servers`);
  }
  const maxChildren = Math.max(...result.samples.map((s) => s.children));
  if (maxChildren > result.options.servers) problems.push(`up to ${maxChildren} child processes during the run`);
  // Idle before and idle after: every socket of every session is gone again (a few fds of slack
  // for files the audit log rotated in meanwhile).
  if (result.after.fds > result.before.fds + 5) {
    problems.push(`open fds: ${result.before.fds} idle before the load, ${result.after.fds} idle after it`);
  }
  const steady = result.samples.filter((s) => s.atS * 1000 >= result.options.warmupMs);
  if (steady.length >= 3) {
    const third = Math.max(1, Math.floor(steady.length / 3));
    const early = (pick: (s: SoakSample) => number) => median(steady.slice(0, third).map(pick));
    const late = (pick: (s: SoakSample) => number) => median(steady.slice(-third).map(pick));
    const rss = [early((s) => s.rssMb), late((s) => s.rssMb)] as const;
    if (rss[1] > rss[0] * (1 + limits.rssGrowth) + limits.rssSlackMb) {
      problems.push(`RSS grew from ${rss[0]} MB after warm-up to ${rss[1]} MB at the end`);
    }
    const perCall = rssBytesPerCall(result);
    if (limits.maxBytesPerCall !== undefined && perCall > limits.maxBytesPerCall) {
      problems.push(`RSS grew by ${perCall} bytes per call after warm-up (limit ${limits.maxBytesPerCall})`);
    }
    // Under load the fd count is ~one socket per session; it must not creep up.
    const fds = [early((s) => s.fds), late((s) => s.fds)] as const;
    if (fds[1] > fds[0] + 10) problems.push(`open fds under load grew from ${fds[0]} to ${fds[1]}`);
  }
  return problems;
}

// The measurement loops. Every phase interleaves the paths (direct, then through the gateway)
// round by round, rotating which goes first, so that machine noise hits all of them alike.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LeanSession } from './lean-client.ts';
import { cpuMs } from './proc-stats.ts';
import { median, percentile } from './stats.ts';

/** `relay`: the logic-free TCP relay (bench/tcp-relay.ts), the floor of any proxy. */
export type PathName = 'direct' | 'server' | 'aggregate' | 'relay';

export type BenchPath = {
  name: PathName;
  url: string;
  token: string | undefined;
  /** The tool's name on this endpoint (`<server>__<tool>` on the aggregated one). */
  tool(name: string): string;
  viaGateway: boolean;
};

export type ToolCall = { tool: string; args: Record<string, unknown>; check(result: Record<string, unknown>): void };

function rotated<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

async function callTool(session: LeanSession, path: BenchPath, call: ToolCall): Promise<Record<string, unknown>> {
  return session.request('tools/call', { name: path.tool(call.tool), arguments: call.args });
}

/** Calls until the JIT of client, gateway and upstream has settled; checks the answers once. */
export async function warmUp(sessions: Map<PathName, LeanSession>, paths: BenchPath[], calls: ToolCall[], n: number) {
  for (const path of paths) {
    const session = sessions.get(path.name)!;
    for (const call of calls) call.check(await callTool(session, path, call));
    for (let i = 0; i < n; i++) for (const call of calls) await callTool(session, path, call);
  }
}

export type LatencyResult = {
  samples: number[];
  roundP50: number[];
  /** Gateway CPU time spent during this path's rounds (0 for the direct path). */
  gatewayCpuMs: number;
  calls: number;
};

export async function measureLatency(options: {
  paths: BenchPath[];
  sessions: Map<PathName, LeanSession>;
  call: ToolCall;
  rounds: number;
  callsPerRound: number;
  gatewayPid: number;
}): Promise<Map<PathName, LatencyResult>> {
  const results = new Map<PathName, LatencyResult>(
    options.paths.map((p) => [p.name, { samples: [], roundP50: [], gatewayCpuMs: 0, calls: 0 }]),
  );
  for (let round = 0; round < options.rounds; round++) {
    for (const path of rotated(options.paths, round)) {
      const session = options.sessions.get(path.name)!;
      const result = results.get(path.name)!;
      const cpuBefore = cpuMs(options.gatewayPid);
      const roundSamples: number[] = [];
      for (let i = 0; i < options.callsPerRound; i++) {
        const started = performance.now();
        await callTool(session, path, options.call);
        roundSamples.push(performance.now() - started);
      }
      if (path.viaGateway) result.gatewayCpuMs += cpuMs(options.gatewayPid) - cpuBefore;
      result.samples.push(...roundSamples);
      result.roundP50.push(median(roundSamples));
      result.calls += roundSamples.length;
    }
  }
  return results;
}

/** Gateway minus direct, per round (the pairing), then the median over rounds. */
export function pairedAddedP50(latency: Map<PathName, LatencyResult>, path: PathName): number {
  const direct = latency.get('direct')!.roundP50;
  return median(latency.get(path)!.roundP50.map((p50, round) => p50 - direct[round]!));
}

export function addedP99(latency: Map<PathName, LatencyResult>, path: PathName): number {
  return percentile(latency.get(path)!.samples, 99) - percentile(latency.get('direct')!.samples, 99);
}

export type ThroughputResult = { calls: number; elapsedMs: number; gatewayCpuMs: number };

/** `sessions` concurrent client sessions per path, each calling in a closed loop for `seconds`. */
export async function measureThroughput(options: {
  paths: BenchPath[];
  sessions: number;
  rounds: number;
  seconds: number;
  call: ToolCall;
  gatewayPid: number;
}): Promise<Map<PathName, ThroughputResult>> {
  const open = new Map<PathName, LeanSession[]>();
  const results = new Map<PathName, ThroughputResult>();
  try {
    for (const path of options.paths) {
      const sessions: LeanSession[] = [];
      open.set(path.name, sessions);
      for (let i = 0; i < options.sessions; i++) sessions.push(await LeanSession.open(path.url, path.token));
      for (const session of sessions) await callTool(session, path, options.call); // sockets and JIT warm
      results.set(path.name, { calls: 0, elapsedMs: 0, gatewayCpuMs: 0 });
    }
    for (let round = 0; round < options.rounds; round++) {
      for (const path of rotated(options.paths, round)) {
        const result = results.get(path.name)!;
        const cpuBefore = cpuMs(options.gatewayPid);
        const started = performance.now();
        const deadline = started + options.seconds * 1000;
        await Promise.all(
          open.get(path.name)!.map(async (session) => {
            while (performance.now() < deadline) {
              await callTool(session, path, options.call);
              result.calls++;
            }
          }),
        );
        result.elapsedMs += performance.now() - started;
        if (path.viaGateway) result.gatewayCpuMs += cpuMs(options.gatewayPid) - cpuBefore;
        await sleep(200); // let the last round's garbage and sockets settle before the next path
      }
    }
  } finally {
    for (const sessions of open.values()) await Promise.all(sessions.map((s) => s.close()));
  }
  return results;
}

/** What an MCP client does at start: connect, initialize, list the tools (with the SDK's own Client). */
async function sdkConnectAndList(path: BenchPath): Promise<number> {
  const transport = new StreamableHTTPClientTransport(new URL(path.url), {
    requestInit: path.token ? { headers: { authorization: `Bearer ${path.token}` } } : {},
  });
  const client = new Client({ name: 'gatehouse-bench', version: '1.0.0' });
  const started = performance.now();
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    const elapsed = performance.now() - started;
    if (!tools.some((t) => t.name === path.tool('echo'))) throw new Error(`${path.url} does not list the echo tool`);
    await transport.terminateSession();
    return elapsed;
  } finally {
    await client.close();
  }
}

export async function measureConnect(paths: BenchPath[], rounds: number): Promise<Map<PathName, number[]>> {
  const samples = new Map<PathName, number[]>(paths.map((p) => [p.name, []]));
  for (const path of paths) await sdkConnectAndList(path); // load the SDK client's code paths once
  for (let round = 0; round < rounds; round++) {
    for (const path of rotated(paths, round)) samples.get(path.name)!.push(await sdkConnectAndList(path));
  }
  return samples;
}

// What auditing adds to a call (issue 4): the same small call through a gateway that records it
// (the default) and through one started with GATEHOUSE_AUDIT=off, interleaved round by round
// against the direct path, so both "added" figures share the same noise. Then the audit log's
// own figures (bench/audit.ts) on a log small enough to run in seconds.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { runAuditBench } from '../audit.ts';
import { startGatewayProcess } from './gateway-process.ts';
import { LeanSession } from './lean-client.ts';
import { measureLatency, pairedAddedP50, warmUp, type BenchPath, type PathName, type ToolCall } from './phases.ts';
import type { Figures } from './report.ts';

/** The audit's share of the proxy's own overhead stays below this. */
const AUDIT_SHARE_TARGET = 0.1;

/**
 * `audited` is the path through the default gateway, with its open session; this starts the
 * audit-off gateway beside it and measures both against `direct`.
 */
export async function measureAuditCost(options: {
  direct: { path: BenchPath; session: LeanSession };
  audited: { path: BenchPath; session: LeanSession; pid: number };
  config: { mcpServers: Record<string, Record<string, unknown>> };
  workDir: string;
  call: ToolCall;
  rounds: number;
  callsPerRound: number;
  warmupCalls: number;
  progress: (line: string) => void;
}): Promise<Figures> {
  const dataDir = path.join(options.workDir, 'data-audit-off');
  await mkdir(dataDir, { recursive: true });
  const off = await startGatewayProcess({
    config: options.config,
    dataDir,
    workDir: options.workDir,
    label: 'gateway-audit-off',
    env: { GATEHOUSE_AUDIT: 'off' },
  });
  // The measuring loop knows three path names: 'aggregate' stands for the audit-off gateway here.
  const offPath: BenchPath = { ...options.audited.path, name: 'aggregate', url: off.serverEndpoint('bench') };
  const offSession = await LeanSession.open(offPath.url, off.token);
  try {
    const paths = [options.direct.path, options.audited.path, offPath];
    const sessions = new Map<PathName, LeanSession>([
      ['direct', options.direct.session],
      ['server', options.audited.session],
      ['aggregate', offSession],
    ]);
    // As many calls as the audited gateway has served by now, so both are equally warm (JIT).
    await warmUp(sessions, [offPath], [options.call], options.warmupCalls + options.rounds * options.callsPerRound);
    options.progress(`audit on vs off: ${options.rounds} rounds x ${options.callsPerRound} small calls per path`);
    const latency = await measureLatency({
      paths,
      sessions,
      call: options.call,
      rounds: options.rounds,
      callsPerRound: options.callsPerRound,
      gatewayPid: options.audited.pid,
    });
    const on = pairedAddedP50(latency, 'server');
    const offAdded = pairedAddedP50(latency, 'aggregate');
    return { auditOnAddedP50Ms: on, auditOffAddedP50Ms: offAdded, auditShareOfOverhead: (on - offAdded) / offAdded };
  } finally {
    await offSession.close();
    await off.stop();
  }
}

export function formatAuditCost(f: Figures): string {
  const ms = (v: number | undefined) => `${(v ?? NaN).toFixed(3)} ms`;
  const share = f.auditShareOfOverhead ?? NaN;
  return [
    'audit cost per small call (server path, added p50 over direct):',
    `  audit default ${ms(f.auditOnAddedP50Ms)}   audit off ${ms(f.auditOffAddedP50Ms)}   ` +
      `difference ${ms((f.auditOnAddedP50Ms ?? NaN) - (f.auditOffAddedP50Ms ?? NaN))} = ` +
      `${(share * 100).toFixed(1)} % of the proxy's own overhead (target < ${AUDIT_SHARE_TARGET * 100} %) ` +
      `${share < AUDIT_SHARE_TARGET ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

/** bench/audit.ts scaled down to fit in the run (the full 1M-record run: `node bench/audit.ts`). */
export async function auditLogFigures(progress: (line: string) => void): Promise<{ figures: Figures; text: string }> {
  const records = 100_000;
  const result = await runAuditBench({ records, writeSeconds: 2, queryRuns: 3, progress });
  const text = [
    `audit log (bench/audit.ts on ${records} records):`,
    `  sustained write ${result.write.recordsPerSecond} records/s (target >= 5000) ${result.verdicts.writeRate ? 'PASS' : 'FAIL'}`,
    `  append() mean / p99 ${result.append.meanUs} / ${result.append.p99Us} µs; ` +
      `event loop delay at ${result.atTarget.recordsPerSecond}/s p99 ${result.atTarget.eventLoopDelayP99Ms} ms`,
    `  query one tool over 3 days ${result.toolAndTimeMs} ms (target < 200 ms) ${result.verdicts.query ? 'PASS' : 'FAIL'}`,
  ].join('\n');
  return {
    figures: {
      auditWritesPerSecond: result.write.recordsPerSecond,
      auditAppendMeanUs: result.append.meanUs,
      auditAppendP99Us: result.append.p99Us,
      auditQueryToolAndTimeMs: result.toolAndTimeMs,
    },
    text,
  };
}

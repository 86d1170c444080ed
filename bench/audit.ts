// `node bench/audit.ts [--records N] [--write-seconds S]`: the audit log's own figures (issue 4).
// - sustained write rate: records/s appended and on disk, realistic tool calls at redaction `full`
//   with a registered secret, the caller yielding to the event loop as a gateway would;
// - append cost: µs per `append()` call (the part on the request path), mean / p50 / p99;
// - query over 1 million records: filter by tool and time range (target < 200 ms), plus other
//   shapes of query for context, after a reopen (indexes loaded from the side files).
// Prints a table against the targets, then one JSON line. `runAuditBench()` is what `npm run bench`
// calls; the proxy-latency-with-audit comparison lives in the main bench.
import fs from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AuditFilter, AuditLog, AuditOutcome, AuditRecordInput } from '../src-main/core/audit/index.ts';
import { openAuditLog } from '../src-main/core/audit/index.ts';
import { median, percentile, round } from './lib/stats.ts';

export const AUDIT_TARGETS = { writesPerSecond: 5000, queryMs: 200 } as const;

export type AuditBenchOptions = {
  /** Records generated for the query phase; 1 000 000 by default. */
  records?: number;
  /** Length of the sustained-write phase; 5 s by default. */
  writeSeconds?: number;
  /** Runs of each query (the median and the max are reported); 7 by default. */
  queryRuns?: number;
  /** Progress lines (stderr by default). */
  progress?: (line: string) => void;
};

export type AuditBenchResult = {
  /** As fast as possible. */
  write: { seconds: number; records: number; recordsPerSecond: number; bytesPerRecord: number };
  /** At the target rate (5000/s, 50 records every 10 ms): event-loop delay (timer lateness) and the writer's backlog. */
  atTarget: { recordsPerSecond: number; eventLoopDelayP50Ms: number; eventLoopDelayP99Ms: number; maxQueued: number };
  append: { meanUs: number; p50Us: number; p99Us: number };
  generate: { records: number; seconds: number; bytes: number };
  reopenMs: number;
  queries: { name: string; p50Ms: number; maxMs: number; matched: number }[];
  /** The headline query: one tool over a three-day range. */
  toolAndTimeMs: number;
  verdicts: { writeRate: boolean; query: boolean };
};

const SERVERS = Array.from({ length: 20 }, (_, i) => `server-${i}`);
const TOOLS = Array.from({ length: 25 }, (_, i) => `tool-${i}`);
const CLIENTS = ['claude-ai', 'cursor', 'vscode', 'codex'];
const OUTCOMES: AuditOutcome[] = [
  'ok',
  'ok',
  'ok',
  'ok',
  'ok',
  'ok',
  'tool_error',
  'denied',
  'upstream_error',
  'timeout',
];
const T0 = Date.parse('2025-01-01T00:00:00Z');
const SPAN_MS = 30 * 24 * 3600 * 1000;
const DAY = 24 * 3600 * 1000;

export async function runAuditBench(options: AuditBenchOptions = {}): Promise<AuditBenchResult> {
  const records = options.records ?? 1_000_000;
  const writeSeconds = options.writeSeconds ?? 5;
  const queryRuns = options.queryRuns ?? 7;
  const progress = options.progress ?? ((line: string) => process.stderr.write(`[audit bench] ${line}\n`));
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'gatehouse-bench-audit-'));
  try {
    progress(`sustained writes for ${writeSeconds} s`);
    const { write, atTarget, append } = await measureWrites(path.join(root, 'write'), writeSeconds);
    progress(`generating ${records} records`);
    const dir = path.join(root, 'query');
    const generate = await generateRecords(dir, records, progress);
    const opened = performance.now();
    const log = await openAuditLog({
      dir,
      now: () => T0 + SPAN_MS,
      retention: { maxBytes: 64 * 1024 ** 3, maxAgeMs: 10 * 365 * DAY },
    });
    const reopenMs = performance.now() - opened;
    try {
      progress('querying');
      const queries = await measureQueries(log, queryRuns);
      const toolAndTimeMs = queries[0]!.p50Ms;
      return {
        write,
        atTarget,
        append,
        generate,
        reopenMs: round(reopenMs, 1),
        queries,
        toolAndTimeMs,
        verdicts: {
          writeRate: write.recordsPerSecond >= AUDIT_TARGETS.writesPerSecond,
          query: queries[0]!.maxMs < AUDIT_TARGETS.queryMs,
        },
      };
    } finally {
      await log.close();
    }
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

/** A tools/call as the router hands it over: nested arguments with a token in them, a text result. */
function realisticCall(i: number): AuditRecordInput {
  const now = Date.now();
  return {
    startedAt: now - 14,
    endedAt: now,
    user: { sub: 'alice', email: 'alice@acme.com', groups: ['eng', 'platform'] },
    client: { name: 'claude-ai', version: '0.10.2', localTokenId: 'claude-desktop' },
    sessionId: '5d1e7a0c-3b9f-4c2e-9a61-2f0d7c4b8e13',
    server: 'github',
    method: 'tools/call',
    name: 'search_issues',
    params: {
      name: 'search_issues',
      arguments: {
        query: `repo:acme/widgets is:open label:bug sort:updated page ${i}`,
        perPage: 30,
        headers: { Authorization: 'Bearer gh_benchLocalToken0123456789abcdefghijklmnopq' },
      },
      _meta: { progressToken: i },
    },
    result: {
      content: [
        {
          type: 'text',
          text: `Found 30 issues. #${i}: Crash when saving a widget with an empty name (updated 2h ago) ...`,
        },
      ],
      isError: false,
    },
    outcome: 'ok',
    upstreamMs: 11,
    bytesIn: 380,
    bytesOut: 2900,
    policyVersion: '2025-06-01.3',
  };
}

async function measureWrites(
  dir: string,
  seconds: number,
): Promise<Pick<AuditBenchResult, 'write' | 'atTarget' | 'append'>> {
  const log = await openAuditLog({ dir, redaction: { level: 'full' } });
  log.registerSecret('gh_benchLocalToken0123456789abcdefghijklmnopq');
  const perRecordUs: number[] = [];
  let appended = 0;
  try {
    for (let i = 0; i < 2000; i++) log.append(realisticCall(i));
    await log.flush();

    // As fast as the caller can go: append in bursts of 100 (timed together), yield, repeat.
    const started = performance.now();
    const deadline = started + seconds * 1000;
    while (performance.now() < deadline) {
      const burstStart = performance.now();
      for (let i = 0; i < 100; i++) log.append(realisticCall(appended + i));
      perRecordUs.push(((performance.now() - burstStart) * 1000) / 100);
      appended += 100;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await log.flush();
    const elapsed = (performance.now() - started) / 1000;

    // At the target rate, as a busy gateway would append: how much does the event loop notice?
    const lag = monitorEventLoopDelay({ resolution: 1 });
    const perTick = AUDIT_TARGETS.writesPerSecond / 100;
    let maxQueued = 0;
    let atTarget = 0;
    lag.enable();
    const targetDeadline = performance.now() + Math.min(seconds, 3) * 1000;
    while (performance.now() < targetDeadline) {
      for (let i = 0; i < perTick; i++) log.append(realisticCall(atTarget++));
      maxQueued = Math.max(maxQueued, log.status().queued);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    lag.disable();
    await log.flush();
    const status = log.status();
    return {
      write: {
        seconds: round(elapsed, 2),
        records: appended,
        recordsPerSecond: Math.round(appended / elapsed),
        bytesPerRecord: Math.round(status.bytes / status.records),
      },
      atTarget: {
        recordsPerSecond: AUDIT_TARGETS.writesPerSecond,
        eventLoopDelayP50Ms: round(lag.percentile(50) / 1e6, 2),
        eventLoopDelayP99Ms: round(lag.percentile(99) / 1e6, 2),
        maxQueued,
      },
      append: {
        meanUs: round(perRecordUs.reduce((a, b) => a + b, 0) / perRecordUs.length, 1),
        p50Us: round(median(perRecordUs), 1),
        p99Us: round(percentile(perRecordUs, 99), 1),
      },
    };
  } finally {
    await log.close();
  }
}

/** Records spread evenly over 30 days, 20 servers x 25 tools, 4 clients, a realistic outcome mix. */
async function generateRecords(
  dir: string,
  count: number,
  progress: (line: string) => void,
): Promise<AuditBenchResult['generate']> {
  let now = T0;
  const log = await openAuditLog({
    dir,
    now: () => now,
    redaction: { level: 'redacted' },
    retention: { maxBytes: 64 * 1024 ** 3, maxAgeMs: 10 * 365 * DAY },
    syncIntervalMs: 0,
  });
  const started = performance.now();
  try {
    for (let i = 0; i < count; i++) {
      now = T0 + Math.floor((i / count) * SPAN_MS);
      const outcome = OUTCOMES[i % OUTCOMES.length]!;
      log.append({
        startedAt: now - 20,
        endedAt: now,
        client: { name: CLIENTS[i % CLIENTS.length]!, localTokenId: CLIENTS[i % CLIENTS.length]! },
        server: SERVERS[(i * 7) % SERVERS.length]!,
        method: 'tools/call',
        name: TOOLS[(i * 13) % TOOLS.length]!,
        params: { arguments: { query: `item ${i}`, limit: 20 } },
        result: { content: [{ type: 'text', text: `result ${i}` }], isError: outcome === 'tool_error' },
        outcome,
        ...(outcome === 'denied' ? { denyRule: 'no-writes', error: 'Denied by policy rule no-writes' } : {}),
        totalMs: 5 + (i % 200),
      });
      if (i % 20_000 === 19_999) {
        await log.flush();
        if (i % 200_000 === 199_999) progress(`  ${i + 1} records`);
      }
    }
    await log.flush();
    return { records: count, seconds: round((performance.now() - started) / 1000, 1), bytes: log.status().bytes };
  } finally {
    await log.close();
  }
}

async function measureQueries(log: AuditLog, runs: number): Promise<AuditBenchResult['queries']> {
  const at = (day: number) => T0 + day * DAY;
  const shapes: { name: string; filter: AuditFilter }[] = [
    { name: 'tool + 3-day range', filter: { tool: 'tool-7', since: at(20), until: at(23) } },
    { name: 'tool + server + 1-day range', filter: { tool: 'tool-7', server: 'server-3', since: at(5), until: at(6) } },
    // No record has both (by construction): every index entry is looked at.
    { name: 'no match (scans all 1M)', filter: { tool: 'tool-7', outcome: 'tool_error' } },
    { name: 'newest page, no filter', filter: {} },
    { name: 'denials by one client', filter: { outcome: 'denied', client: 'cursor' } },
    { name: 'tool + 1-day range + text', filter: { tool: 'tool-7', since: at(10), until: at(11), text: 'item 3' } },
  ];
  const results: AuditBenchResult['queries'] = [];
  for (const { name, filter } of shapes) {
    const samples: number[] = [];
    let matched = 0;
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const page = await log.query({ ...filter, limit: 100 });
      samples.push(performance.now() - started);
      matched = page.records.length;
    }
    results.push({ name, p50Ms: round(median(samples), 2), maxMs: round(Math.max(...samples), 2), matched });
  }
  return results;
}

function printReport(result: AuditBenchResult): void {
  const rows: [string, string, string][] = [
    [
      'sustained write rate',
      `${result.write.recordsPerSecond} records/s`,
      `>= ${AUDIT_TARGETS.writesPerSecond}/s ${result.verdicts.writeRate ? 'PASS' : 'FAIL'}`,
    ],
    [
      `event loop delay at ${result.atTarget.recordsPerSecond}/s p50 / p99`,
      `${result.atTarget.eventLoopDelayP50Ms} / ${result.atTarget.eventLoopDelayP99Ms} ms (backlog <= ${result.atTarget.maxQueued})`,
      '',
    ],
    [
      'append() cost mean / p50 / p99',
      `${result.append.meanUs} / ${result.append.p50Us} / ${result.append.p99Us} µs`,
      '',
    ],
    ['record size on disk', `${result.write.bytesPerRecord} B`, ''],
    [
      `generate ${result.generate.records} records`,
      `${result.generate.seconds} s (${Math.round(result.generate.bytes / 1024 ** 2)} MiB)`,
      '',
    ],
    ['reopen (load indexes)', `${result.reopenMs} ms`, ''],
    ...result.queries.map((query, i): [string, string, string] => [
      `query: ${query.name}`,
      `p50 ${query.p50Ms} ms, max ${query.maxMs} ms (${query.matched} rows)`,
      i === 0 ? `< ${AUDIT_TARGETS.queryMs} ms ${result.verdicts.query ? 'PASS' : 'FAIL'}` : '',
    ]),
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  for (const [name, value, target] of rows)
    process.stdout.write(`${name.padEnd(width)}  ${value.padEnd(valueWidth)}  ${target}\n`);
  process.stdout.write(
    `${JSON.stringify({ bench: 'audit', ...result, loadAverage: os.loadavg().map((n) => round(n, 2)) })}\n`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { records: { type: 'string', default: '1000000' }, 'write-seconds': { type: 'string', default: '5' } },
  });
  const result = await runAuditBench({
    records: Number(values.records),
    writeSeconds: Number(values['write-seconds']),
  });
  printReport(result);
}

import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { AuditFilter, AuditLog, AuditOutcome, AuditRecord } from '../../core/audit/index.ts';
import {
  AUDIT_OUTCOMES,
  auditDirIn,
  auditRecordJsonSchema,
  csvHeader,
  csvRow,
  openAuditLog,
} from '../../core/audit/index.ts';
import { defaultDataDir } from '../../core/config/paths.ts';
import { CliError } from '../cli-error.ts';

const HELP = `Usage: gatehouse audit <command> [options]

Reads the local audit log (every request that reached an upstream MCP server or was denied).
Safe while the gateway runs: it only reads.

Commands:
  tail     the newest records; --follow keeps printing new ones
  query    records matching filters, newest first
  verify   check the hash chain; exits 1 and names the first broken link if the log was altered
  export   every matching record, oldest first, as JSON Lines or CSV
  schema   print the audit record's JSON Schema

Options:
  --data-dir DIR      Gatehouse's data folder (default ${defaultDataDir()})
  -n, --lines N       tail: how many records (default 20)
  -f, --follow        tail: keep printing new records until Ctrl-C
  --server NAME       only this upstream server
  --tool NAME         only this tool (or resource URI, prompt name)
  --outcome OUTCOME   only ${AUDIT_OUTCOMES.join(', ')}
  --client NAME       only this AI client (name from initialize, or local token id)
  --method METHOD     only this JSON-RPC method (tools/call, resources/read, ...)
  --since TIME        started at or after TIME: ISO 8601, or a duration back from now (90s, 15m, 2h, 7d)
  --until TIME        started at or before TIME
  --text TEXT         records containing TEXT anywhere (case-insensitive)
  --limit N           query: page size (default 50)
  --cursor CURSOR     query: the next page, as printed after the previous one
  --json              one JSON record per line instead of the table
  --csv               query: CSV instead of the table
  --format FORMAT     export: jsonl (default) or csv
  --out FILE          export: write to FILE instead of standard output
`;

const options = {
  'data-dir': { type: 'string' },
  lines: { type: 'string', short: 'n' },
  follow: { type: 'boolean', short: 'f', default: false },
  server: { type: 'string' },
  tool: { type: 'string' },
  outcome: { type: 'string' },
  client: { type: 'string' },
  method: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  text: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  json: { type: 'boolean', default: false },
  csv: { type: 'boolean', default: false },
  format: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${HELP}`, 2);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [command, ...extra] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 2;
  }
  if (extra.length > 0) throw new CliError(`Unexpected argument '${extra[0]}'.\n\n${HELP}`, 2);
  if (command === 'schema') {
    process.stdout.write(JSON.stringify(auditRecordJsonSchema(), null, 2) + '\n');
    return 0;
  }
  const run = { tail, query, verify, export: exportRecords }[command];
  if (!run) throw new CliError(`Unknown audit command '${command}'.\n\n${HELP}`, 2);
  const filter = filterFrom(values);
  const dir = auditDirIn(path.resolve(values['data-dir'] ?? defaultDataDir()));
  const log = await openAuditLog({ dir, readOnly: true });
  try {
    return await run(log, values, filter);
  } finally {
    await log.close();
  }
}

async function tail(log: AuditLog, values: Values, filter: AuditFilter): Promise<number> {
  const count = positiveInt(values.lines, 20, '--lines');
  const page = await log.query({ ...filter, limit: count });
  const print = (record: AuditRecord) =>
    process.stdout.write(values.json ? JSON.stringify(record) + '\n' : formatRecord(record));
  for (const record of page.records.reverse()) print(record);
  if (!values.follow) return 0;
  const matches = recordMatcher(filter);
  const unsubscribe = log.subscribe((record) => {
    if (matches(record)) print(record);
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  unsubscribe();
  return 0;
}

async function query(log: AuditLog, values: Values, filter: AuditFilter): Promise<number> {
  if (values.json && values.csv) throw new CliError('Use --json or --csv, not both.', 2);
  const limit = positiveInt(values.limit, 50, '--limit');
  let page;
  try {
    page = await log.query({ ...filter, limit, ...(values.cursor ? { cursor: values.cursor } : {}) });
  } catch (error) {
    if ((error as { code?: string }).code === 'AUDIT_BAD_CURSOR') throw new CliError((error as Error).message, 2);
    throw error;
  }
  if (values.csv) {
    process.stdout.write(csvHeader() + page.records.map(csvRow).join(''));
  } else {
    for (const record of page.records)
      process.stdout.write(values.json ? JSON.stringify(record) + '\n' : formatRecord(record));
  }
  if (page.nextCursor) process.stderr.write(`More records: add --cursor ${page.nextCursor}\n`);
  else if (page.records.length === 0) process.stderr.write('No matching audit records.\n');
  return 0;
}

async function verify(log: AuditLog): Promise<number> {
  const result = await log.verify();
  if (result.ok) {
    const anchored = result.anchoredAt
      ? ' (older records were removed by retention; checked from the oldest kept)'
      : '';
    const tail = result.unfinishedTail ? ' The newest line is still being written.' : '';
    process.stdout.write(
      `OK: ${result.records} records in ${result.segments} segment(s), hash chain intact${anchored}.${tail}\n`,
    );
    return 0;
  }
  const broken = result.broken!;
  process.stdout.write(
    `BROKEN: ${broken.file} line ${broken.line}${broken.recordId ? ` (record ${broken.recordId})` : ''}: ${broken.reason}: ${broken.detail}\n` +
      `${result.records} records before it verified. The log was changed after it was written, or damaged on disk.\n`,
  );
  return 1;
}

async function exportRecords(log: AuditLog, values: Values, filter: AuditFilter): Promise<number> {
  const format = values.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') throw new CliError(`--format must be jsonl or csv, not '${format}'.`, 2);
  const out: Writable = values.out ? fs.createWriteStream(values.out, { mode: 0o600 }) : process.stdout;
  const count = await log.export(out, { format, filter });
  if (values.out) {
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    process.stderr.write(`Exported ${count} records to ${values.out}.\n`);
  }
  return 0;
}

function filterFrom(values: Values): AuditFilter {
  const filter: AuditFilter = {};
  if (values.server) filter.server = values.server;
  if (values.tool) filter.tool = values.tool;
  if (values.client) filter.client = values.client;
  if (values.method) filter.method = values.method;
  if (values.text) filter.text = values.text;
  if (values.outcome) {
    if (!AUDIT_OUTCOMES.includes(values.outcome as AuditOutcome)) {
      throw new CliError(`--outcome must be one of ${AUDIT_OUTCOMES.join(', ')}, not '${values.outcome}'.`, 2);
    }
    filter.outcome = values.outcome as AuditOutcome;
  }
  if (values.since) filter.since = parseTime(values.since, '--since');
  if (values.until) filter.until = parseTime(values.until, '--until');
  return filter;
}

/** ISO 8601, or a duration back from now: 90s, 15m, 2h, 7d. */
export function parseTime(text: string, option: string, now = Date.now()): number {
  const relative = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim());
  if (relative) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return now - Number(relative[1]) * unit;
  }
  const absolute = Date.parse(text);
  if (Number.isFinite(absolute)) return absolute;
  throw new CliError(
    `${option} must be an ISO 8601 time (2025-01-31T09:00:00Z) or a duration such as 15m, 2h or 7d; got '${text}'.`,
    2,
  );
}

function positiveInt(text: string | undefined, fallback: number, option: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new CliError(`${option} must be a positive whole number, not '${text}'.`, 2);
  return value;
}

/** The same filter, applied to records arriving live (the log's index handles it for stored ones). */
function recordMatcher(filter: AuditFilter): (record: AuditRecord) => boolean {
  const since = filter.since as number | undefined;
  const until = filter.until as number | undefined;
  const text = filter.text?.toLowerCase();
  return (record) =>
    (!filter.server || record.server === filter.server) &&
    (!filter.tool || record.name === filter.tool) &&
    (!filter.method || record.method === filter.method) &&
    (!filter.outcome || record.outcome === filter.outcome) &&
    (!filter.client || record.client.name === filter.client || record.client.localTokenId === filter.client) &&
    (since === undefined || Date.parse(record.startedAt) >= since) &&
    (until === undefined || Date.parse(record.startedAt) <= until) &&
    (!text || JSON.stringify(record).toLowerCase().includes(text));
}

/** One line per record: time, outcome, latency, server, what was called, by whom, and why it failed. */
export function formatRecord(record: AuditRecord): string {
  const time = record.startedAt.replace('T', ' ').replace('Z', '');
  const latency = `${Math.round(record.latency.totalMs)}ms`.padStart(7);
  const what = record.name ? `${record.method} ${record.name}` : record.method;
  const who = record.client.name ?? record.client.localTokenId ?? '-';
  let why = '';
  if (record.outcome === 'denied') why = `  rule ${record.denyRule ?? '?'}${record.error ? `: ${record.error}` : ''}`;
  else if (record.error) why = `  ${record.error}`;
  return `${time}  ${record.outcome.padEnd(14)} ${latency}  ${record.server}  ${what}  ${who}${why.replace(/\s+/g, ' ').slice(0, 200)}\n`;
}

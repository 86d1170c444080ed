// `npm run soak`: 100 concurrent AI-client sessions over 10 stdio upstream servers for 10 minutes
// through one gateway process, loopback only (bench/soak-run.ts). Prints a line per sample, a
// summary table, and as the last line one JSON object with every figure; exits 1 if an error
// happened or sessions, fds, child processes or memory leaked.
// Options: --minutes N --sessions N --servers N --pause-ms N (mean think time between calls).
// SOAK_AUDIT=off runs the gateway without recording calls, to tell a leak from the audit index.
import { parseArgs } from 'node:util';
import { rssBytesPerCall, runSoak, soakProblems } from './soak-run.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    sessions: { type: 'string', default: '100' },
    servers: { type: 'string', default: '10' },
    'pause-ms': { type: 'string', default: '100' },
  },
});

const durationMs = Number(values.minutes) * 60_000;
const log = (line: string) => process.stderr.write(`[soak] ${line}\n`);
log(`${values.sessions} sessions x ${values.servers} servers for ${values.minutes} min`);
const result = await runSoak({
  sessions: Number(values.sessions),
  servers: Number(values.servers),
  durationMs,
  warmupMs: Math.min(60_000, durationMs / 5),
  sampleMs: durationMs >= 120_000 ? 10_000 : 2_000,
  pauseMs: Number(values['pause-ms']),
  callsPerSession: 200,
  log,
});
// ~90 B per recorded call is the audit log's in-memory query index (id, hash and index columns per
// record, kept until retention drops the record); anything above 200 B per call is a leak.
const problems = soakProblems(result, {
  rssGrowth: 0.1,
  rssSlackMb: 10,
  maxBytesPerCall: process.env.SOAK_AUDIT === 'off' ? 50 : 200,
});

const rss = result.samples.map((s) => s.rssMb);
const lines = [
  `calls            ${result.calls} (${result.callsPerSecond}/s), errors ${result.errors.length}`,
  `latency          p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`,
  `sessions opened  ${result.sessionsOpened}; open after the run: ${result.after.sessions}`,
  `RSS              ${result.before.rssMb} MB idle before, ${result.baseline.rssMb} MB after warm-up, ` +
    `${Math.min(...rss)}–${Math.max(...rss)} MB under load, ${result.after.rssMb} MB idle after, ` +
    `${rssBytesPerCall(result)} bytes per call after warm-up${process.env.SOAK_AUDIT === 'off' ? ' (audit off)' : ''}`,
  `open fds         ${result.before.fds} idle before, ${Math.max(...result.samples.map((s) => s.fds))} max under load, ` +
    `${result.after.fds} idle after`,
  `child processes  ${result.before.children} before, ${result.after.children} after`,
  problems.length ? `FAILED:\n  ${problems.join('\n  ')}` : 'held: no error, nothing leaked, memory flat',
];
const audit = process.env.SOAK_AUDIT === 'off' ? 'off' : 'on';
process.stdout.write(
  `${lines.join('\n')}\n${JSON.stringify({ ...result, audit, rssBytesPerCall: rssBytesPerCall(result), problems })}\n`,
);
process.exitCode = problems.length ? 1 : 0;

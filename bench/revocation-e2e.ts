// `node bench/revocation-e2e.ts [--runs N]` (or BENCH_REVOCATION_RUNS=N; default 20): the revocation
// delay of issue 3 end to end, "policy file changed" → "first refused tool call", through the real
// IdP, org server, gateway and SDK client (bench/lib/revocation-e2e.ts). Prints p50/p95/max against
// the target (must ≤ 5 s, typical < 1 s) and one JSON line; exits 1 if the max exceeds 5 s.
// BENCH_VERBOSE=1 shows the gateway's log. `npm run bench:revocation` runs this after the sync-only stage (bench/revocation.ts).
import { parseArgs } from 'node:util';
import { measureGatewayRevocation, reportGatewayRevocation, revocationRuns } from './lib/revocation-e2e.ts';

const { values } = parseArgs({ options: { runs: { type: 'string' } } });
const result = await measureGatewayRevocation({
  runs: revocationRuns(values.runs),
  log: (line) => process.stderr.write(`[revocation-e2e] ${line}\n`),
  gatewayLog: process.env.BENCH_VERBOSE === '1' ? (line) => process.stderr.write(`[gateway] ${line}\n`) : undefined,
});
const report = reportGatewayRevocation(result);
process.stdout.write(report.text);
process.stdout.write(`${report.json}\n`);
process.exitCode = report.pass ? 0 : 1;

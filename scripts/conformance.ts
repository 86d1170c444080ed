// `npm run conformance`: the official MCP conformance suite against a test upstream, directly and
// through Gatehouse (`/servers/conf/mcp`) in the same run. Prints both side by side and exits
// non-zero unless the same scenarios pass both ways.
//
// The suite cannot send the gateway's bearer token, so the run through Gatehouse goes via a
// loopback proxy in this harness that adds it (test/conformance/harness/bearer-proxy.ts): the
// gateway itself runs exactly as users run it. Results and logs of the last run stay in
// test-artifacts/conformance/ (or --artifacts DIR).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBearerProxy } from '../test/conformance/harness/bearer-proxy.ts';
import { compareRuns, formatComparison, type Comparison } from '../test/conformance/harness/compare.ts';
import { startGateway } from '../test/conformance/harness/gateway.ts';
import { REPO_ROOT } from '../test/conformance/harness/processes.ts';
import { listServerScenarios, runSuite } from '../test/conformance/harness/suite.ts';
import { startConformanceUpstream } from '../test/conformance/upstream-server.ts';

/** The upstream's name in the gateway config, hence the path `/servers/conf/mcp`. */
const SERVER_NAME = 'conf';

export type ConformanceReport = { comparison: Comparison; table: string; artifactsDir: string };

export async function runConformance(
  options: { artifactsDir?: string; signal?: AbortSignal; progress?: (line: string) => void } = {},
): Promise<ConformanceReport> {
  const artifactsDir = options.artifactsDir ?? path.join(REPO_ROOT, 'test-artifacts', 'conformance');
  const progress = options.progress ?? (() => {});
  await rm(artifactsDir, { recursive: true, force: true });
  await mkdir(artifactsDir, { recursive: true });
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-conformance-'));
  const cleanups: Array<() => Promise<void>> = [() => rm(workDir, { recursive: true, force: true })];
  try {
    const upstream = await startConformanceUpstream();
    cleanups.push(() => upstream.close());
    const scenarios = await listServerScenarios(options.signal);

    progress(`Running ${scenarios.length} scenarios directly against ${upstream.url}`);
    const direct = await runSuite(upstream.url, scenarios, path.join(artifactsDir, 'direct'), options.signal);

    const gateway = await startGateway({
      serverName: SERVER_NAME,
      upstreamUrl: upstream.url,
      workDir,
      logFile: path.join(artifactsDir, 'gateway.log'),
      ...(options.signal && { signal: options.signal }),
    });
    cleanups.push(() => gateway.close());
    const proxy = await startBearerProxy({ target: new URL(gateway.origin), token: gateway.token });
    cleanups.push(() => proxy.close());

    const throughUrl = `${proxy.origin}/servers/${SERVER_NAME}/mcp`;
    progress(`Running ${scenarios.length} scenarios through Gatehouse (${gateway.origin}) via ${throughUrl}`);
    const gatehouse = await runSuite(throughUrl, scenarios, path.join(artifactsDir, 'gatehouse'), options.signal);

    const comparison = compareRuns(direct, gatehouse);
    return { comparison, table: formatComparison(comparison), artifactsDir };
  } finally {
    // Last started, first stopped: the proxy before the gateway before the upstream.
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { artifacts: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write('Usage: npm run conformance [-- --artifacts DIR]\n');
    return 0;
  }
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const report = await runConformance({
    signal: abort.signal,
    progress: (line) => process.stderr.write(`${line}\n`),
    ...(values.artifacts && { artifactsDir: path.resolve(values.artifacts) }),
  });
  const { comparison } = report;
  process.stdout.write(`${report.table}\n\nResults and logs: ${report.artifactsDir}\n`);
  if (comparison.directPassed === 0) {
    process.stderr.write('No scenario passed directly: the test upstream or the suite is broken.\n');
    return 1;
  }
  if (!comparison.equal) {
    process.stderr.write(
      `Through Gatehouse differs from direct (${comparison.gatehousePassed} vs ${comparison.directPassed} passed).\n`,
    );
    return 1;
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`conformance: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}

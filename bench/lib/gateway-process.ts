// The gateway as users run it (`gatehouse serve` in its own process), so that its memory and CPU
// are read from its own /proc entry and its start-up is timed from spawn to a first answer.
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { LocalTokenStore } from '../../src-main/core/tokens/index.ts';
import { nodeBinary, REPO_ROOT, spawnTracked, stopChild, waitForLine } from './children.ts';
import { LeanSession } from './lean-client.ts';

/**
 * The `gatehouse` entry users run (`npx gatehouse`: bin/gatehouse.js, which loads type-stripped
 * sources from a disk cache); BENCH_GATEWAY_CLI points the bench at another one (a bundled build,
 * or src-main/cli/main.ts to measure Node stripping types at every start).
 */
const CLI = path.resolve(REPO_ROOT, process.env.BENCH_GATEWAY_CLI || path.join('bin', 'gatehouse.js'));
const START_TIMEOUT_MS = 30_000;

export type GatewayProcess = {
  pid: number;
  token: string;
  /** The aggregated endpoint, http://127.0.0.1:PORT/mcp */
  endpoint: string;
  serverEndpoint(name: string): string;
  /** Spawn until the aggregated endpoint answered initialize. */
  startToReadyMs: number;
  /** SIGTERM and wait for a clean exit (which is when `--cpu-prof` writes its profile). */
  stop(): Promise<void>;
};

/** The `mcpServers` document `gatehouse serve --config` reads. */
export type McpServersConfig = { mcpServers: Record<string, Record<string, unknown>> };

async function mintToken(dataDir: string): Promise<string> {
  return new LocalTokenStore(dataDir).getOrCreate('bench');
}

let stripCacheWarmed: Promise<void> | undefined;

/**
 * `gatehouse serve --help` once, which loads every module `serve` loads: the gateway measured
 * then starts from a warm strip cache (bin/strip-cache.js), as it does for a user on every start
 * but the first after an update.
 */
function warmStripCache(): Promise<void> {
  stripCacheWarmed ??= new Promise<void>((resolve, reject) => {
    const child = spawnTracked(nodeBinary(), [CLI, 'serve', '--help'], {});
    child.stdout!.resume();
    child.stderr!.resume();
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`'gatehouse serve --help' exited ${code}`))));
  });
  return stripCacheWarmed;
}

export async function startGatewayProcess(options: {
  config: McpServersConfig;
  dataDir: string;
  /** Holds the config file and the gateway's log. */
  workDir: string;
  label: string;
  nodeArgs?: string[];
  /** Added to the environment (e.g. GATEHOUSE_AUDIT=off). */
  env?: Record<string, string>;
}): Promise<GatewayProcess> {
  const configFile = path.join(options.workDir, `${options.label}.config.json`);
  const logFile = path.join(options.workDir, `${options.label}.log`);
  await writeFile(configFile, JSON.stringify(options.config, null, 2));
  const token = await mintToken(options.dataDir);
  await warmStripCache();

  const started = performance.now();
  const args = [...(options.nodeArgs ?? []), CLI, 'serve', '--config', configFile, '--port', '0'];
  const child = spawnTracked(
    nodeBinary(),
    [...args, '--data-dir', options.dataDir],
    options.env ? { env: { ...process.env, ...options.env } } : {},
  );
  const log = createWriteStream(logFile);
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const stop = async () => {
    await stopChild(child, 10_000);
    await new Promise<void>((resolve) => log.end(resolve));
  };
  try {
    const [, origin] = await waitForLine(child, /all servers:\s+(http:\/\/127\.0\.0\.1:\d+)\/mcp/, START_TIMEOUT_MS);
    const probe = await LeanSession.open(`${origin}/mcp`, token);
    const startToReadyMs = performance.now() - started;
    await probe.close();
    return {
      pid: child.pid!,
      token,
      endpoint: `${origin}/mcp`,
      serverEndpoint: (name) => `${origin}/servers/${name}/mcp`,
      startToReadyMs,
      stop,
    };
  } catch (error) {
    await stop();
    const output = await readFile(logFile, 'utf8').catch(() => '');
    throw new Error(
      `The gateway (${options.label}) did not start: ${(error as Error).message}\n${output.slice(-2000)}`,
      {
        cause: error,
      },
    );
  }
}

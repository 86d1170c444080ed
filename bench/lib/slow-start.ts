// A restart with one upstream that takes long to start: the first `tools/list` on /mcp must be
// answered from the list cache at once, not after the slow server is up. The gateway runs once
// before, until every server's tools are listed, to fill the cache as a user's previous run would.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeBinary, REPO_ROOT } from './children.ts';
import { startGatewayProcess, type McpServersConfig } from './gateway-process.ts';
import { LeanSession } from './lean-client.ts';

const SLOW_SERVER = path.join(REPO_ROOT, 'bench', 'slow-upstream.ts');

export type SlowStartResult = {
  /** Spawn to ready, for the first (cache-filling) and the second (restart) run. */
  startToReadyMs: number[];
  /** The first tools/list on /mcp after the restart (request to answer). */
  firstToolsListMs: number;
  /** Spawn of the restarted gateway to the first tools/list answered. */
  spawnToFirstToolsListMs: number;
  /** The answer held the slow server's tools (from the cache) as well as the fast server's. */
  listedAllServers: boolean;
  /** The slow server was still starting when the list came back (else the scenario proved nothing). */
  answeredBeforeSlowServer: boolean;
};

function toolNames(result: Record<string, unknown>): string[] {
  return ((result.tools as { name: string }[] | undefined) ?? []).map((t) => t.name);
}

export async function measureSlowStart(options: {
  upstreamUrl: string;
  workDir: string;
  slowStartMs: number;
}): Promise<SlowStartResult> {
  const dataDir = path.join(options.workDir, 'slow-start-data');
  await mkdir(dataDir, { recursive: true });
  const config: McpServersConfig = {
    mcpServers: {
      bench: { url: options.upstreamUrl },
      slow: { command: nodeBinary(), args: [SLOW_SERVER, '--delay-ms', String(options.slowStartMs)] },
    },
  };

  const fill = await startGatewayProcess({ config, dataDir, workDir: options.workDir, label: 'fill-cache' });
  try {
    const session = await LeanSession.open(fill.endpoint, fill.token);
    const deadline = performance.now() + options.slowStartMs + 30_000;
    while (!toolNames(await session.request('tools/list', {})).includes('slow__slow_echo')) {
      if (performance.now() > deadline) throw new Error('the slow upstream never listed its tools');
      await sleep(250);
    }
    await session.close();
  } finally {
    await fill.stop();
  }

  const spawned = performance.now();
  const restarted = await startGatewayProcess({ config, dataDir, workDir: options.workDir, label: 'restart' });
  try {
    const session = await LeanSession.open(restarted.endpoint, restarted.token);
    const asked = performance.now();
    const names = toolNames(await session.request('tools/list', {}));
    const answered = performance.now();
    await session.close();
    return {
      startToReadyMs: [fill.startToReadyMs, restarted.startToReadyMs],
      firstToolsListMs: answered - asked,
      spawnToFirstToolsListMs: answered - spawned,
      listedAllServers: names.includes('bench__echo') && names.includes('slow__slow_echo'),
      answeredBeforeSlowServer: answered - spawned < options.slowStartMs,
    };
  } finally {
    await restarted.stop();
  }
}

// `node bench/ab.ts <other checkout> [big|echo] [calls]`: the gateway of this checkout and of another
// one (e.g. `git worktree add /tmp/before HEAD~1`, with node_modules linked) side by side against
// one upstream, with the direct path, in blocks of 20 sequential calls rotating between the three.
// Single `quick-ratio` runs differ by ±0.1x from run to run; measured side by side in one run, a
// change of ~0.05 ms shows. Prints each path's p50 and its ratio to direct.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stopAll, stopAllOnSignal } from './lib/children.ts';
import { startGatewayProcess } from './lib/gateway-process.ts';
import { LeanSession } from './lib/lean-client.ts';
import { median } from './lib/stats.ts';
import { startEchoUpstream } from './lib/upstream-process.ts';

const [otherCheckout, tool = 'big', callsArg = '600'] = process.argv.slice(2);
const BLOCK = 20;

async function main(): Promise<void> {
  if (!otherCheckout || !['big', 'echo'].includes(tool)) {
    throw new Error('usage: node bench/ab.ts <other checkout> [big|echo] [calls per path]');
  }
  const other = (await import(path.resolve(otherCheckout, 'bench/lib/gateway-process.ts'))) as {
    startGatewayProcess: typeof startGatewayProcess;
  };
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-ab-'));
  stopAllOnSignal(() => rm(workDir, { recursive: true, force: true }));
  try {
    const upstream = await startEchoUpstream(100);
    const config = { mcpServers: { bench: { url: upstream.url } } };
    const start = (starter: typeof startGatewayProcess, label: string) =>
      starter({ config, dataDir: path.join(workDir, label), workDir, label });
    const here = await start(startGatewayProcess, 'this');
    const there = await start(other.startGatewayProcess, 'other');
    const paths: [string, LeanSession][] = [
      ['direct', await LeanSession.open(upstream.url)],
      ['other checkout', await LeanSession.open(there.serverEndpoint('bench'), there.token)],
      ['this checkout', await LeanSession.open(here.serverEndpoint('bench'), here.token)],
    ];
    const args = tool === 'big' ? {} : { message: 'hello' };
    const call = (session: LeanSession) => session.request('tools/call', { name: tool, arguments: args });
    for (let i = 0; i < 200; i++) for (const [, session] of paths) await call(session);
    const samples = paths.map(() => [] as number[]);
    for (let round = 0; round < Number(callsArg) / BLOCK; round++) {
      for (let k = 0; k < paths.length; k++) {
        const at = (k + round) % paths.length;
        for (let c = 0; c < BLOCK; c++) {
          const started = performance.now();
          await call(paths[at]![1]);
          samples[at]!.push(performance.now() - started);
        }
      }
    }
    const direct = median(samples[0]!);
    for (const [k, [name]] of paths.entries()) {
      const p50 = median(samples[k]!);
      process.stdout.write(
        `${tool} ${name.padEnd(15)} p50 ${p50.toFixed(3)} ms  ${(p50 / direct).toFixed(2)}x  +${(p50 - direct).toFixed(3)} ms\n`,
      );
    }
    for (const [, session] of paths) await session.close();
    await here.stop();
    await there.stop();
    await upstream.stop();
  } finally {
    await stopAll();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`ab failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});

import path from 'node:path';
import { nodeBinary, REPO_ROOT, spawnTracked, stopChild, waitForLine } from './children.ts';

/** The echo upstream (bench/echo-upstream.ts) in its own process, so it does not share a core with the client. */
export async function startEchoUpstream(bigKb: number): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = spawnTracked(nodeBinary(), [path.join(REPO_ROOT, 'bench', 'echo-upstream.ts')], {
    env: { ...process.env, BENCH_BIG_KB: String(bigKb) },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
  try {
    const [url] = await waitForLine(child, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/, 30_000);
    return { url, pid: child.pid!, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw new Error(`The bench upstream did not start: ${(error as Error).message}\n${stderr}`, { cause: error });
  }
}

/** The logic-free TCP relay (bench/tcp-relay.ts) in front of `upstreamUrl`: the floor of any proxy. */
export async function startTcpRelay(upstreamUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawnTracked(nodeBinary(), [path.join(REPO_ROOT, 'bench', 'tcp-relay.ts'), upstreamUrl]);
  try {
    const [url] = await waitForLine(child, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/, 30_000);
    return { url, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw new Error(`The bench's TCP relay did not start: ${(error as Error).message}`, { cause: error });
  }
}

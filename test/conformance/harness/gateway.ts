// Starts the real gateway (`gatehouse serve`) in a child process with one remote upstream named
// `conf`, and gets a local client token for its data dir from `gatehouse token`.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findFreePort, nodeBinary, REPO_ROOT, runToCompletion, stopProcess, waitForPort } from './processes.ts';

export type RunningGateway = {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  token: string;
  logFile: string;
  close(): Promise<void>;
};

const CLI = path.join(REPO_ROOT, 'src-main', 'cli', 'main.ts');
const START_TIMEOUT_MS = 20_000;

async function mintToken(dataDir: string, signal?: AbortSignal): Promise<string> {
  const run = await runToCompletion(nodeBinary(), [CLI, 'token', '--data-dir', dataDir], { timeoutMs: 20_000, signal });
  const token = run.stdout.trim();
  if (run.code !== 0 || !token || /\s/.test(token)) {
    throw new Error(`'gatehouse token' did not print a token (exit ${run.code}):\n${run.stdout}${run.stderr}`);
  }
  return token;
}

export async function startGateway(options: {
  serverName: string;
  upstreamUrl: string;
  /** Holds the config file and the data dir (with the token): a throwaway directory. */
  workDir: string;
  /** Where the gateway's stdout and stderr go. */
  logFile: string;
  signal?: AbortSignal;
}): Promise<RunningGateway> {
  const dataDir = path.join(options.workDir, 'data');
  const configFile = path.join(options.workDir, 'gatehouse.json');
  const logFile = options.logFile;
  await mkdir(dataDir, { recursive: true });
  await writeFile(configFile, JSON.stringify({ mcpServers: { [options.serverName]: { url: options.upstreamUrl } } }));

  const token = await mintToken(dataDir, options.signal);
  const port = await findFreePort();
  const args = [CLI, 'serve', '--config', configFile, '--port', String(port), '--data-dir', dataDir];
  const child = spawn(nodeBinary(), args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const close = async () => {
    await stopProcess(child);
    await new Promise<void>((resolve) => log.end(resolve));
  };

  try {
    await waitForPort(port, child, START_TIMEOUT_MS);
  } catch (error) {
    await close();
    const output = await readFile(logFile, 'utf8').catch(() => '');
    throw new Error(`The gateway did not start: ${(error as Error).message}\n${output}`, { cause: error });
  }
  return { origin: `http://127.0.0.1:${port}`, token, logFile, close };
}

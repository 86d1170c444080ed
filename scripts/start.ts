// `npm start`: the app from a checkout. Builds the window if its sources changed, then starts
// Electron; where Electron cannot start (its binary is not installed, or there is no display), it
// says so and runs headless: the demo org (`gatehouse serve --demo`, or plain `gatehouse serve`
// with `--no-demo`) plus the window in the browser, at a link that carries the window's local
// token. Arguments after `--` go to the app or to `gatehouse serve`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PORT, defaultDataDir } from '../src-main/core/config/paths.ts';
import { WINDOW_CLIENT_ID, windowUrl } from '../src-main/core/api/index.ts';
import { LocalTokenStore } from '../src-main/core/tokens/index.ts';
import { ensureRendererBuilt, repoRoot, runInRepo } from './renderer-build.ts';

async function main(argv: string[]): Promise<number> {
  await ensureRendererBuilt(log);
  const electron = findElectron();
  if (electron.ok) return runElectron(electron.path, argv);
  log(`Electron cannot start here: ${electron.problem}.`);
  log('Running Gatehouse headless instead; the window opens in your browser.\n');
  return runHeadless(argv);
}

/** Where Electron's binary is, or why it cannot run (checked without `require('electron')`, which would try to download it). */
function findElectron(): { ok: true; path: string } | { ok: false; problem: string } {
  const packageDir = path.join(repoRoot, 'node_modules', 'electron');
  let relative: string;
  try {
    relative = fs.readFileSync(path.join(packageDir, 'path.txt'), 'utf8').trim();
  } catch {
    return {
      ok: false,
      problem:
        "its binary is not installed (no node_modules/electron/path.txt; run 'npx install-electron' where downloads work)",
    };
  }
  const binary = path.join(packageDir, 'dist', relative);
  if (!fs.existsSync(binary)) return { ok: false, problem: `its binary ${binary} is missing` };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { ok: false, problem: 'there is no display (DISPLAY and WAYLAND_DISPLAY are not set)' };
  }
  return { ok: true, path: binary };
}

async function runElectron(binary: string, argv: string[]): Promise<number> {
  log('Compiling the main process for Electron…');
  await runInRepo(path.join(repoRoot, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json']);
  await runInRepo(path.join(repoRoot, 'node_modules', '.bin', 'vite'), [
    'build',
    '--mode',
    'preload',
    '--logLevel',
    'warn',
  ]);
  return forward(
    spawn(binary, [path.join(repoRoot, 'dist-main', 'shell', 'main.js'), ...argv], { cwd: repoRoot, stdio: 'inherit' }),
  );
}

async function runHeadless(argv: string[]): Promise<number> {
  // A fresh checkout has no org and no servers: show the whole flow with the demo org, which prints
  // its own window link (it picks a free port).
  if (!argv.includes('--no-demo')) {
    const main = path.join(repoRoot, 'src-main', 'cli', 'main.ts');
    return forward(spawn(process.execPath, [main, 'serve', '--demo', ...argv], { cwd: repoRoot, stdio: 'inherit' }));
  }
  argv = argv.filter((arg) => arg !== '--no-demo');
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: { port: { type: 'string' }, 'data-dir': { type: 'string' } },
  });
  const port = typeof values.port === 'string' ? Number(values.port) : DEFAULT_PORT;
  const dataDir = path.resolve(typeof values['data-dir'] === 'string' ? values['data-dir'] : defaultDataDir());
  const child = spawn(process.execPath, [path.join(repoRoot, 'src-main', 'cli', 'main.ts'), 'serve', ...argv], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  const exited = forward(child);
  if (port !== 0 && (await waitForGateway(port, child))) {
    const token = await new LocalTokenStore(dataDir).getOrCreate(WINDOW_CLIENT_ID);
    log(
      `\n  Open Gatehouse in your browser:\n\n    ${windowUrl(`http://127.0.0.1:${port}`, token)}\n\n  The link holds this window's access token: do not share it.\n`,
    );
  }
  return exited;
}

/** Polls the listener's health route until it answers, the child exits, or 30 s pass. */
async function waitForGateway(port: number, child: ReturnType<typeof spawn>): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

/** Passes Ctrl-C and SIGTERM to the child (which stops its MCP servers) and returns its exit code. */
function forward(child: ReturnType<typeof spawn>): Promise<number> {
  const relay = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = relay('SIGINT');
  const onTerm = relay('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`npm start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);

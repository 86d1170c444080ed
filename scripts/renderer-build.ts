// Builds the window (vite → dist-renderer) when its sources are newer than the last build. Shared
// by `npm start` and the browser tests; a lock directory keeps parallel test workers from
// building over each other.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const rendererDist = path.join(repoRoot, 'dist-renderer');
const SOURCES = ['src-renderer', 'src-main/core/api', 'vite.config.ts'];
const LOCK = path.join(repoRoot, '.dist-renderer.lock');

export async function rendererIsFresh(): Promise<boolean> {
  const built = await mtime(path.join(rendererDist, 'index.html'));
  if (built === undefined) return false;
  for (const source of SOURCES) if ((await newestMtime(path.join(repoRoot, source))) > built) return false;
  return true;
}

/** Returns true when it built, false when the build was already fresh. */
export async function ensureRendererBuilt(log: (line: string) => void = () => {}): Promise<boolean> {
  if (await rendererIsFresh()) return false;
  await acquireLock();
  try {
    if (await rendererIsFresh()) return false;
    log('Building the Gatehouse window (vite build)…');
    await runInRepo(path.join(repoRoot, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn']);
    return true;
  } finally {
    await fs.rm(LOCK, { recursive: true, force: true });
  }
}

async function acquireLock(): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await fs.mkdir(LOCK);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - ((await mtime(LOCK)) ?? Date.now());
      if (age > 120_000) await fs.rm(LOCK, { recursive: true, force: true }); // left by a killed build
      if (Date.now() > deadline)
        throw new Error(`Timed out waiting for another renderer build (${LOCK}); delete it if no build is running.`, {
          cause: error,
        });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Runs a build tool in the checkout, its output shown; rejects with the command when it fails. */
export function runInRepo(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // NODE_ENV from a test runner ('test') would give React's development build.
    const env = { ...process.env, NODE_ENV: 'production' };
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(command)} ${args.join(' ')} failed (exit code ${code}).`)),
    );
  });
}

async function mtime(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

async function newestMtime(target: string): Promise<number> {
  const stat = await fs.stat(target).catch(() => undefined);
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of await fs.readdir(target, { withFileTypes: true })) {
    newest = Math.max(newest, await newestMtime(path.join(target, entry.name)));
  }
  return newest;
}

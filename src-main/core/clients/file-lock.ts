import fs from 'node:fs/promises';
import { ClientConfigError } from './errors.ts';

const STALE_AFTER_MS = 30_000;

/**
 * Runs `work` while holding `<file>.gatehouse.lock`, created with O_EXCL so that two Gatehouse
 * processes (the app and a CLI, or two CLIs) never interleave read-modify-write on one client
 * file. The lock sits next to the file so that it holds across data dirs too. A lock whose owner
 * died (dead pid, or older than 30 s) is taken over.
 */
export async function withFileLock<T>(
  file: string,
  work: () => Promise<T>,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  const lock = `${file}.gatehouse.lock`;
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (let attempt = 0; ; attempt += 1) {
    try {
      const handle = await fs.open(lock, 'wx', 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await isStale(lock)) {
        await fs.rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new ClientConfigError(
          'locked',
          `${file} is locked by another Gatehouse process (${lock}). Try again in a moment; if no other Gatehouse is running, delete the lock file.`,
          { file },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(20 + attempt * 10, 100) + Math.random() * 20));
    }
  }
  try {
    return await work();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

async function isStale(lock: string): Promise<boolean> {
  try {
    const [stat, text] = await Promise.all([fs.stat(lock), fs.readFile(lock, 'utf8')]);
    if (Date.now() - stat.mtimeMs > STALE_AFTER_MS) return true;
    const pid = (JSON.parse(text) as { pid?: number }).pid;
    if (typeof pid !== 'number') return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    // Just created and not written yet, or just removed: not stale, try again.
    return false;
  }
}

import fs from 'node:fs/promises';
import path from 'node:path';
import { AuditError } from './errors.ts';

/**
 * One writer per audit folder: two gateways appending to the same chain would fork it. The lock
 * file holds the writer's pid; a lock whose process is gone (kill -9, power loss) is taken over.
 */
export async function acquireWriterLock(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, '.writer.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fs.open(file, 'wx', 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      await handle.close();
      return async () => {
        await fs.rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new AuditError('AUDIT_IO', `Cannot create the audit lock file ${file}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    const holder = await readHolder(file);
    if (holder !== undefined && isAlive(holder)) {
      throw new AuditError(
        'AUDIT_LOCKED',
        `The audit log in ${dir} is already open for writing by process ${holder}. Stop that gateway first; if no such process is running, delete ${file}.`,
      );
    }
    await fs.rm(file, { force: true });
  }
  throw new AuditError('AUDIT_LOCKED', `Could not take the audit lock ${file}; another process keeps recreating it.`);
}

async function readHolder(file: string): Promise<number | undefined> {
  try {
    const pid = (JSON.parse(await fs.readFile(file, 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

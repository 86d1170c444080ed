import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.ts';

/**
 * Where one sink has got to in the segments: the next byte to ship. Kept per sink in
 * `<audit dir>/outbox/<sink>.json`, written atomically after each delivered batch, so a crash
 * resends at most one batch (which the receiver deduplicates by record id).
 */
export type OutboxCursor = {
  version: 1;
  segment: number;
  offset: number;
  delivered: number;
  dropped: number;
  lastDeliveredId?: string;
};

export const outboxDir = (auditDir: string): string => path.join(auditDir, 'outbox');
export const cursorFile = (auditDir: string, sinkName: string): string =>
  path.join(outboxDir(auditDir), `${sinkName}.json`);

export async function readCursor(file: string): Promise<OutboxCursor | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const cursor = JSON.parse(text) as OutboxCursor;
    if (cursor.version !== 1 || !Number.isInteger(cursor.segment) || !Number.isInteger(cursor.offset)) return undefined;
    return cursor;
  } catch {
    return undefined;
  }
}

export async function writeCursor(file: string, cursor: OutboxCursor): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(cursor) + '\n', { mode: 0o600 });
}

/** The oldest segment any sink still has to ship (Infinity when none does). */
export async function oldestPinnedSegment(auditDir: string): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(outboxDir(auditDir));
  } catch {
    return Number.POSITIVE_INFINITY;
  }
  let oldest = Number.POSITIVE_INFINITY;
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const cursor = await readCursor(path.join(outboxDir(auditDir), name));
    if (cursor && cursor.segment < oldest) oldest = cursor.segment;
  }
  return oldest;
}

// The demo org's side of the audit trail: what laptops ship to the org server's POST /audit,
// kept as JSON lines in the demo folder so a person can watch records arrive at "the org".
import fs from 'node:fs/promises';
import type { AuditRecord, AuditRecordStore } from '../core/audit/index.ts';

/**
 * Appends each new record as one line; a record already stored (a batch resent after a lost
 * acknowledgement) is counted as a duplicate and not written again.
 */
export async function openOrgAuditFile(file: string): Promise<AuditRecordStore> {
  const ids = new Set<string>();
  try {
    for (const line of (await fs.readFile(file, 'utf8')).split('\n')) {
      if (line) ids.add((JSON.parse(line) as { id: string }).id);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // One batch at a time, so concurrent batches neither interleave lines nor both store a record.
  let writing: Promise<unknown> = Promise.resolve();
  return {
    add(records: AuditRecord[]) {
      const stored = writing.then(async () => {
        const fresh = [...new Map(records.filter((r) => !ids.has(r.id)).map((r) => [r.id, r])).values()];
        if (fresh.length > 0) {
          await fs.appendFile(file, fresh.map((record) => `${JSON.stringify(record)}\n`).join(''), { mode: 0o600 });
        }
        // Only once written: a failed write is answered with an error, and the resent batch is stored.
        for (const record of fresh) ids.add(record.id);
        return { accepted: fresh.length, duplicates: records.length - fresh.length };
      });
      writing = stored.catch(() => {});
      return stored;
    },
  };
}

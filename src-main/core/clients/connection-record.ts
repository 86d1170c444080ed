import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.ts';

/**
 * What Gatehouse remembers about an entry it wrote, in the data dir (never in the client's file):
 * enough to undo exactly. `restorable` stays true while nobody but us changed the file since our
 * first write: then disconnect puts the original bytes back; otherwise it removes only our entry.
 */
export type ConnectionRecord = {
  version: 1;
  clientId: string;
  entryName: string;
  file: string;
  connectedAt: string;
  original: { existed: boolean; sha256?: string; backup?: string; createdDirs: string[] };
  createdContainer: boolean;
  restorable: boolean;
  written: { sha256: string; at: string };
};

export function sha256(bytes: Uint8Array | undefined): string | undefined {
  return bytes ? createHash('sha256').update(bytes).digest('hex') : undefined;
}

export class ConnectionRecords {
  private readonly dir: string;
  private readonly backups: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'clients', 'connections');
    this.backups = path.join(dataDir, 'clients', 'backups');
  }

  async load(clientId: string, entryName: string): Promise<ConnectionRecord | undefined> {
    try {
      const record = JSON.parse(await fs.readFile(this.fileOf(clientId, entryName), 'utf8')) as ConnectionRecord;
      return record.version === 1 ? record : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async save(record: ConnectionRecord): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.fileOf(record.clientId, record.entryName), JSON.stringify(record, null, 2) + '\n', {
      mode: 0o600,
    });
  }

  async delete(clientId: string, entryName: string): Promise<void> {
    await fs.rm(this.fileOf(clientId, entryName), { force: true });
  }

  /** Copies a client file's bytes aside before we change them; 0600 as they may hold secrets. */
  async backup(clientId: string, file: string, bytes: Uint8Array): Promise<string> {
    await fs.mkdir(this.backups, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const target = path.join(this.backups, `${clientId}.${stamp}.${process.pid}.${path.basename(file)}`);
    await writeFileAtomic(target, bytes, { mode: 0o600 });
    return target;
  }

  private fileOf(clientId: string, entryName: string): string {
    return path.join(this.dir, `${clientId}--${entryName}.json`);
  }
}

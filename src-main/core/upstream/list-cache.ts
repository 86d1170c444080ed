import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.ts';

export type Listed = Record<string, unknown> & { name?: string; uri?: string; uriTemplate?: string };

/** What a server offers, cached on disk so the first tools/list after a start answers at once. */
export type ServerLists = {
  configHash: string;
  fetchedAt: string;
  protocolVersion?: string;
  capabilities: Record<string, unknown>;
  serverInfo?: Record<string, unknown>;
  instructions?: string;
  tools: Listed[];
  prompts: Listed[];
  resources: Listed[];
  resourceTemplates: Listed[];
  /** Stand-in lists of a server waiting for the user's consent (never cached). */
  placeholder?: true;
};

export function configHash(config: unknown): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

export class ListCache {
  private readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  private file(server: string): string {
    return path.join(this.dir, `${server}.json`);
  }

  /** A cached entry for this exact server config, or undefined (missing, stale config, or unreadable). */
  read(server: string, hash: string): ServerLists | undefined {
    try {
      const cached = JSON.parse(fs.readFileSync(this.file(server), 'utf8')) as ServerLists;
      if (cached.configHash !== hash || !Array.isArray(cached.tools)) return undefined;
      return cached;
    } catch {
      // A missing or corrupt cache only costs a wait for the live list.
      return undefined;
    }
  }

  async write(server: string, lists: ServerLists): Promise<void> {
    await writeFileAtomic(this.file(server), JSON.stringify(lists), { mode: 0o600 });
  }
}

import type { SecretStore } from '../secrets/index.ts';
import { USER_CREDENTIAL_INDEX, userCredentialKey } from './store-keys.ts';

/** `org`: entered for a server of the org policy, so it leaves with the user's sign-in. */
export type UserCredentialEntry = { server: string; name: string; org?: true };

/**
 * Values the user typed into the window, one per (server, header or variable name), kept only in
 * the secret store. Operations run one at a time so the index always matches the entries.
 */
export class UserCredentialStore {
  private readonly store: SecretStore;
  private queue: Promise<unknown> = Promise.resolve();
  // The index is read on every upstream request (which servers have values): kept in memory, and
  // refreshed whenever this store writes it.
  private index: Promise<UserCredentialEntry[]> | undefined;
  private writes = 0;

  constructor(store: SecretStore) {
    this.store = store;
  }

  /** Changes whenever this store writes: what was resolved from it before is stale. */
  get version(): number {
    return this.writes;
  }

  get(server: string, name: string): Promise<string | undefined> {
    return this.store.get(userCredentialKey(server, name));
  }

  entries(): Promise<UserCredentialEntry[]> {
    this.index ??= this.readIndex().catch((error: unknown) => {
      this.index = undefined;
      throw error;
    });
    return this.index;
  }

  private async readIndex(): Promise<UserCredentialEntry[]> {
    const text = await this.store.get(USER_CREDENTIAL_INDEX);
    if (!text) return [];
    try {
      const parsed = JSON.parse(text) as unknown;
      return Array.isArray(parsed) ? parsed.filter(isEntry) : [];
    } catch {
      return []; // a damaged index only loses the list; the next set writes a fresh one
    }
  }

  set(server: string, name: string, value: string, options: { org?: boolean } = {}): Promise<void> {
    return this.serial(async () => {
      await this.store.set(userCredentialKey(server, name), value);
      const others = (await this.entries()).filter((e) => !(e.server === server && e.name === name));
      await this.writeIndex([...others, { server, name, ...(options.org && { org: true as const }) }]);
    });
  }

  clear(server: string, name: string): Promise<void> {
    return this.serial(async () => {
      await this.store.delete(userCredentialKey(server, name));
      const entries = await this.entries();
      await this.writeIndex(entries.filter((e) => !(e.server === server && e.name === name)));
    });
  }

  /** Deletes every value entered for an org server (sign-out); returns the servers that lost one. */
  clearOrgEntries(): Promise<string[]> {
    return this.serial(async () => {
      const entries = await this.entries();
      const gone = entries.filter((e) => e.org);
      for (const entry of gone) await this.store.delete(userCredentialKey(entry.server, entry.name));
      if (gone.length > 0) await this.writeIndex(entries.filter((e) => !e.org));
      return [...new Set(gone.map((e) => e.server))];
    });
  }

  private async writeIndex(entries: UserCredentialEntry[]): Promise<void> {
    this.index = undefined;
    this.writes++;
    if (entries.length === 0) await this.store.delete(USER_CREDENTIAL_INDEX);
    else await this.store.set(USER_CREDENTIAL_INDEX, JSON.stringify(entries));
    this.index = Promise.resolve(entries);
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function isEntry(value: unknown): value is UserCredentialEntry {
  const entry = value as UserCredentialEntry;
  return typeof entry?.server === 'string' && typeof entry.name === 'string';
}

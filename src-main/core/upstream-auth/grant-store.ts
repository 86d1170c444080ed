import type { AuthorizationServerMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { SecretStore } from '../secrets/index.ts';

const PREFIX = 'upstream-oauth:';
/** Names of the servers with a stored grant: the secret store cannot list its keys. */
const INDEX_KEY = 'upstream-oauth-index';

/** The OAuth client Gatehouse is at a server's authorization server. */
export type StoredClient = {
  client_id: string;
  client_secret?: string;
  /** `dynamic`: registered by Gatehouse (RFC 7591); `policy`: a client id the org set. */
  source: 'dynamic' | 'policy';
};

/** One user's tokens for one remote server, with what is needed to refresh and revoke them. */
export type StoredGrant = {
  server: string;
  /** The org user these tokens belong to; null in personal mode. */
  owner: string | null;
  /** RFC 8707 resource indicator the tokens are for. */
  resource: string;
  authorizationServer: string;
  /** The authorization server's metadata at connect time (token and revocation endpoints). */
  metadata: AuthorizationServerMetadata;
  client: StoredClient;
  accessToken: string;
  refreshToken?: string;
  /** Epoch ms; absent when the server gave no lifetime. */
  expiresAt?: number;
  /** Epoch ms when the current access token was issued. */
  issuedAt: number;
  scope?: string;
  /** Who the user is at that server (email or sub from the ID or access token), when it says. */
  who?: string;
  connectedAt: string;
  lastRefreshAt?: string;
};

/** Grants in the secret store under `upstream-oauth:<server>`, plus an index of their names. */
export class GrantStore {
  private readonly store: SecretStore;
  private writing = Promise.resolve();

  constructor(store: SecretStore) {
    this.store = store;
  }

  async read(server: string): Promise<StoredGrant | undefined> {
    const raw = await this.store.get(PREFIX + server);
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as StoredGrant;
    } catch {
      return undefined;
    }
  }

  write(grant: StoredGrant): Promise<void> {
    return this.serial(async () => {
      await this.store.set(PREFIX + grant.server, JSON.stringify(grant));
      const names = await this.names();
      if (!names.includes(grant.server)) await this.store.set(INDEX_KEY, JSON.stringify([...names, grant.server]));
    });
  }

  delete(server: string): Promise<void> {
    return this.serial(async () => {
      await this.store.delete(PREFIX + server);
      const names = await this.names();
      const left = names.filter((n) => n !== server);
      if (left.length === 0) await this.store.delete(INDEX_KEY);
      else if (left.length < names.length) await this.store.set(INDEX_KEY, JSON.stringify(left));
    });
  }

  async names(): Promise<string[]> {
    const raw = await this.store.get(INDEX_KEY);
    try {
      const names = raw ? (JSON.parse(raw) as unknown) : [];
      return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
    } catch {
      return [];
    }
  }

  /** One index update at a time: two servers connected at once must not drop each other's name. */
  private serial(step: () => Promise<void>): Promise<void> {
    const next = this.writing.then(step);
    this.writing = next.catch(() => {});
    return next;
  }
}

import type { CredentialServer, CredentialStatus, UpstreamCredentials } from './upstream-credentials.ts';

/**
 * What the window changes and reads (set, clear, status), and who must hear of a change: the
 * gateway restarts the servers whose credentials changed. Shared by org and personal mode.
 */
export class ServerCredentials {
  readonly upstream: UpstreamCredentials;
  private readonly listeners = new Set<(servers: string[]) => void>();

  constructor(upstream: UpstreamCredentials) {
    this.upstream = upstream;
  }

  /** Called with the servers whose credentials changed (they restart to pick the new values up). */
  onChange(listener: (servers: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async set(server: CredentialServer, name: string, value: string): Promise<void> {
    await this.upstream.set(server, name, value);
    this.emit([server.name]);
  }

  async clear(server: CredentialServer, name: string): Promise<void> {
    await this.upstream.clear(server, name);
    this.emit([server.name]);
  }

  status(servers: readonly CredentialServer[]): Promise<CredentialStatus[]> {
    return this.upstream.status(servers);
  }

  protected emit(servers: string[]): void {
    if (servers.length === 0) return;
    for (const listener of this.listeners) listener(servers);
  }
}

/** Where the window's credential methods find a mode's credentials (OrgMode, or personal mode's). */
export type CredentialsHost = {
  readonly credentials: ServerCredentials;
  credentialServer(server: { name: string; transport: 'stdio' | 'http' | 'sse' }): CredentialServer;
};

import type { SecretStore } from '../secrets/index.ts';
import { ServerCredentials, type CredentialsHost } from './server-credentials.ts';
import { UpstreamCredentials, type CredentialServer } from './upstream-credentials.ts';

type Server = { name: string; transport: 'stdio' | 'http' | 'sse' };
type Headers = Record<string, string>;
/** Servers whose resolved headers are kept (more than anyone configures; a bound all the same). */
const MAX_KEPT = 1000;
/** How long resolved headers are used without looking at the secret store again. */
const KEEP_MS = 1000;

/**
 * Personal mode (no org): the values the user entered for their own servers, sent as headers on
 * every request to a remote server and as environment variables when a stdio server starts.
 */
export class PersonalCredentials extends ServerCredentials implements CredentialsHost {
  private readonly resolved = new Map<string, { version: number; until: number; headers: Readonly<Headers> }>();

  constructor(options: { store: SecretStore; registerSecret?: (value: string) => void }) {
    super(
      new UpstreamCredentials({
        store: options.store,
        ...(options.registerSecret && { registerSecret: options.registerSecret }),
      }),
    );
  }

  get credentials(): ServerCredentials {
    return this;
  }

  credentialServer(server: Server): CredentialServer {
    return { name: server.name, transport: server.transport };
  }

  /**
   * The user's headers for one server on top of `inner` (the host's own header source, if any).
   * Synchronous once resolved, so a request waits on no promise for them (docs/architecture.md,
   * Performance: the request path): kept until this process writes a credential, and for at most
   * KEEP_MS, so a value changed outside this process (in the secret file) applies within a second.
   */
  headersFor(server: Server, inner?: () => Headers | Promise<Headers>): () => Headers | Promise<Headers> {
    return () => {
      const outer = inner?.();
      const own = this.ownHeaders(server);
      if (outer instanceof Promise || own instanceof Promise) {
        return Promise.all([outer, own]).then(([before, headers]) => ({ ...before, ...headers }));
      }
      return outer ? { ...outer, ...own } : own;
    };
  }

  private ownHeaders(server: Server): Headers | Promise<Headers> {
    const version = this.upstream.user.version;
    const key = `${server.transport} ${server.name}`;
    const now = Date.now();
    const kept = this.resolved.get(key);
    if (kept?.version === version && now < kept.until) return kept.headers;
    // Kept under the version as of the start: a credential written meanwhile makes it stale at once.
    return this.upstream.headersFor(this.credentialServer(server)).then((headers) => {
      if (this.resolved.size >= MAX_KEPT) this.resolved.clear();
      this.resolved.set(key, { version, until: now + KEEP_MS, headers: Object.freeze(headers) });
      return headers;
    });
  }

  secretEnvFor(server: Server): () => Promise<Headers> {
    return () => this.upstream.envFor(this.credentialServer(server));
  }
}

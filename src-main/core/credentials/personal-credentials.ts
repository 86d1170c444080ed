import type { SecretStore } from '../secrets/index.ts';
import { ServerCredentials, type CredentialsHost } from './server-credentials.ts';
import { UpstreamCredentials, type CredentialServer } from './upstream-credentials.ts';

type Server = { name: string; transport: 'stdio' | 'http' | 'sse' };
type Headers = Record<string, string>;

/**
 * Personal mode (no org): the values the user entered for their own servers, sent as headers on
 * every request to a remote server and as environment variables when a stdio server starts.
 */
export class PersonalCredentials extends ServerCredentials implements CredentialsHost {
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

  /** The user's headers for one server on top of `inner` (the host's own header source, if any). */
  headersFor(server: Server, inner?: () => Headers | Promise<Headers>): () => Promise<Headers> {
    return async () => ({ ...(await inner?.()), ...(await this.upstream.headersFor(this.credentialServer(server))) });
  }

  secretEnvFor(server: Server): () => Promise<Headers> {
    return () => this.upstream.envFor(this.credentialServer(server));
  }
}

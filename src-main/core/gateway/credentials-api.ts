import { ApiError, type CredentialInfo, type GatewayApi } from '../api/index.ts';
import type { CredentialServer, CredentialsHost } from '../credentials/index.ts';
import type { Gateway } from './create-gateway.ts';

type CredentialMethods = Pick<GatewayApi, 'listCredentials' | 'setCredential' | 'clearCredential'>;

/**
 * The window's credential methods over the mode's credentials (org or personal). Values go in
 * (setCredential) and never come out: every answer says only whether a credential is set.
 */
export function credentialsApi(gateway: Gateway): CredentialMethods {
  function host(): CredentialsHost {
    if (!gateway.credentials) {
      throw new ApiError(
        'no-secret-store',
        'Gatehouse has no secret store to keep credentials in here; start it from the app or with `gatehouse serve`.',
      );
    }
    return gateway.credentials;
  }

  function serverOf(name: string): CredentialServer {
    const entry = gateway.pool.get(name);
    if (!entry) throw new ApiError('not-found', `No server named '${name}' is configured.`);
    return host().credentialServer(entry.config);
  }

  async function info(server: CredentialServer, name: string): Promise<CredentialInfo> {
    const found = (await host().credentials.status([server])).find((s) => s.name === name);
    if (found) {
      const { secretRef: _secretRef, ...shown } = found;
      return shown;
    }
    // A personal server's credential is gone with its value.
    const target = server.transport === 'stdio' ? 'env' : 'header';
    return { server: server.name, target, name, source: 'user', label: name, set: false };
  }

  return {
    async listCredentials() {
      const credentials = gateway.credentials;
      if (!credentials) return [];
      // A server the policy denies gets no credentials, so none are asked for.
      const who = { sessionId: '', localClientId: 'window' };
      const servers = gateway.pool
        .all()
        .filter((entry) => gateway.router.access.server(entry.config.name, who).allow)
        .map((entry) => credentials.credentialServer(entry.config));
      const statuses = await credentials.credentials.status(servers);
      return statuses.map(({ secretRef: _secretRef, ...shown }) => shown);
    },
    async setCredential({ server, name, value }) {
      const target = serverOf(server);
      await host().credentials.set(target, name, value);
      return info(target, name);
    },
    async clearCredential({ server, name }) {
      const target = serverOf(server);
      await host().credentials.clear(target, name);
      return info(target, name);
    },
  };
}

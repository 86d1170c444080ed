import { ApiError, type CredentialInfo, type GatewayApi } from '../api/index.ts';
import type { CredentialServer } from '../credentials/index.ts';
import type { Gateway } from './create-gateway.ts';

type CredentialMethods = Pick<GatewayApi, 'listCredentials' | 'setCredential' | 'clearCredential'>;

/**
 * The window's credential methods over org mode's credentials. Values go in (setCredential) and
 * never come out: every answer says only whether a credential is set.
 */
export function credentialsApi(gateway: Gateway): CredentialMethods {
  function credentials() {
    const org = gateway.org;
    if (!org) {
      throw new ApiError(
        'no-org',
        'Credentials are kept with your organisation sign-in: set your organisation URL in Settings first.',
      );
    }
    return org;
  }

  function serverOf(name: string): CredentialServer {
    const entry = gateway.pool.get(name);
    if (!entry) throw new ApiError('not-found', `No server named '${name}' is configured.`);
    return credentials().credentialServer(entry.config);
  }

  async function info(server: CredentialServer, name: string): Promise<CredentialInfo> {
    const found = (await credentials().credentials.status([server])).find((s) => s.name === name);
    if (!found) throw new ApiError('not-found', `Server '${server.name}' has no credential ${name}.`);
    const { secretRef: _secretRef, ...shown } = found;
    return shown;
  }

  return {
    async listCredentials() {
      if (!gateway.org) return [];
      const servers = gateway.pool.all().map((entry) => gateway.org!.credentialServer(entry.config));
      const statuses = await gateway.org.credentials.status(servers);
      return statuses.map(({ secretRef: _secretRef, ...shown }) => shown);
    },
    async setCredential({ server, name, value }) {
      const target = serverOf(server);
      await credentials().credentials.set(target, name, value);
      return info(target, name);
    },
    async clearCredential({ server, name }) {
      const target = serverOf(server);
      await credentials().credentials.clear(target, name);
      const personalGone = !target.policy;
      // A personal server's credential is gone with its value; an org server's stays listed as missing.
      return personalGone
        ? {
            server,
            target: target.transport === 'stdio' ? 'env' : 'header',
            name,
            source: 'user',
            label: name,
            set: false,
          }
        : info(target, name);
    },
  };
}

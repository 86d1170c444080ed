import { LocalTokenStore } from '../tokens/index.ts';
import type { ClientConnectionsDeps } from './client-connections.ts';

/** The token functions of ClientConnections, backed by the data dir's local token store. */
export function localTokenDeps(dataDir: string): Pick<ClientConnectionsDeps, 'mintToken' | 'tokenOwner' | 'hasToken'> {
  const store = new LocalTokenStore(dataDir);
  return {
    mintToken: (clientId) => store.getOrCreate(clientId),
    tokenOwner: async (token) => {
      const check = await store.check(token);
      return check.ok ? check.clientId : undefined;
    },
    hasToken: async (clientId) => (await store.list()).some((t) => t.clientId === clientId),
  };
}

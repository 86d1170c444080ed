import type { SecretStore, SecretStoreDescription } from '../secrets/index.ts';
import { readSession } from './session.ts';
import { userFromClaims } from './user.ts';
import type { SignedInUser } from './user.ts';

export type SignInStatus =
  | { signedIn: false; store: SecretStoreDescription }
  | {
      signedIn: true;
      user: SignedInUser;
      issuer: string;
      clientId: string;
      signedInAt: number;
      refreshedAt: number;
      /** `exp` of the last ID token (ms since epoch); the sign-in itself lasts as long as the refresh token. */
      idTokenExpiresAt?: number;
      /** Only when the IdP said (e.g. Keycloak's refresh_expires_in). */
      refreshTokenExpiresAt?: number;
      canRefresh: boolean;
      resources: string[];
      store: SecretStoreDescription;
    };

/**
 * Who is signed in, from the secret store alone: no network, no IdP. For `gatehouse status` and
 * the window. Access tokens live only in the running gateway's memory, so their expiry is not here.
 */
export async function readSignInStatus(secretStore: SecretStore): Promise<SignInStatus> {
  const store = secretStore.describe();
  const session = await readSession(secretStore);
  if (!session) return { signedIn: false, store };
  const exp = session.claims.exp;
  return {
    signedIn: true,
    user: userFromClaims(session.claims),
    issuer: session.issuer,
    clientId: session.clientId,
    signedInAt: session.signedInAt,
    refreshedAt: session.refreshedAt,
    ...(typeof exp === 'number' && { idTokenExpiresAt: exp * 1000 }),
    ...(session.refreshTokenExpiresAt !== undefined && { refreshTokenExpiresAt: session.refreshTokenExpiresAt }),
    canRefresh: session.refreshToken !== undefined,
    resources: session.resources,
    store,
  };
}

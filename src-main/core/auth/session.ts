import type { SecretStore } from '../secrets/index.ts';

/** The one secret-store entry that holds a sign-in. Access tokens are never stored: memory only. */
const SESSION_KEY = 'auth.session';

export type StoredSession = {
  version: 1;
  issuer: string;
  clientId: string;
  /** Absent when the IdP issued none: the session then ends with its first access token. */
  refreshToken?: string;
  /** When the IdP said the refresh token expires (`refresh_expires_in`, e.g. Keycloak), ms since epoch. */
  refreshTokenExpiresAt?: number;
  /** Claims of the latest ID token. */
  claims: Record<string, unknown>;
  /** Resource indicators (RFC 8707) requested at sign-in: the only ones a refresh may ask for. */
  resources: string[];
  scope: string;
  signedInAt: number;
  refreshedAt: number;
};

export async function readSession(store: SecretStore): Promise<StoredSession | undefined> {
  const text = await store.get(SESSION_KEY);
  if (!text) return undefined;
  try {
    const session = JSON.parse(text) as StoredSession;
    if (session?.version !== 1 || typeof session.issuer !== 'string' || typeof session.claims !== 'object')
      return undefined;
    return session;
  } catch {
    // A damaged entry is no sign-in; the next sign-in overwrites it.
    return undefined;
  }
}

export function writeSession(store: SecretStore, session: StoredSession): Promise<void> {
  return store.set(SESSION_KEY, JSON.stringify(session));
}

export function deleteSession(store: SecretStore): Promise<void> {
  return store.delete(SESSION_KEY);
}

/** A stored sign-in belongs to one IdP and client; another org's configuration does not reuse it. */
export function sessionMatches(session: StoredSession, issuer: string, clientId: string): boolean {
  return sameIssuer(session.issuer, issuer) && session.clientId === clientId;
}

function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

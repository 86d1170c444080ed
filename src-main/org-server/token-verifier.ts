import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { OrgServerError } from './errors.ts';

export type TokenVerifierOptions = {
  issuer: string;
  audience: string | string[];
  /** Defaults to the jwks_uri of `<issuer>/.well-known/openid-configuration`. */
  jwksUri?: string;
};

export type TokenVerifier = (token: string) => Promise<JWTPayload>;

/**
 * Checks a user's access token (a JWT) against the IdP's keys. The signature, issuer, audience
 * and expiry are jose's; the keys are fetched once and refreshed when an unknown `kid` shows up.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  let keySet: ReturnType<typeof createRemoteJWKSet> | undefined;
  let discovering: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  async function keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (keySet) return keySet;
    discovering ??= (async () => {
      const jwksUri = options.jwksUri ?? (await discoverJwksUri(options.issuer));
      keySet = createRemoteJWKSet(new URL(jwksUri));
      return keySet;
    })().finally(() => {
      discovering = undefined;
    });
    return discovering;
  }

  return async (token) => {
    const { payload } = await jwtVerify(token, await keys(), { issuer: options.issuer, audience: options.audience });
    return payload;
  };
}

async function discoverJwksUri(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const metadata = (await response.json()) as { jwks_uri?: unknown };
    if (typeof metadata.jwks_uri !== 'string') throw new Error('no jwks_uri in the metadata');
    return metadata.jwks_uri;
  } catch (cause) {
    throw new OrgServerError(
      'issuer_unreachable',
      `cannot read the IdP metadata at ${url}: ${(cause as Error).message}`,
      { cause },
    );
  }
}

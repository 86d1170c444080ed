import { CompactSign, compactVerify, createLocalJWKSet, errors as joseErrors } from 'jose';
import type { CryptoKey, JWK, KeyObject } from 'jose';
import { PolicyError } from './errors.ts';

/**
 * Signed policies are a compact JWS whose payload is the policy JSON. The `typ` header pins the
 * purpose, so that nothing else the org signs with the same key can pass for a policy.
 */
const POLICY_JWS_TYPE = 'gatehouse-policy+jws';
export const POLICY_JWS_MEDIA_TYPE = 'application/jose';

const ASYMMETRIC_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
];
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/;

export function isCompactJws(body: string): boolean {
  return COMPACT_JWS.test(body.trim());
}

export async function signPolicy(
  payload: string,
  key: CryptoKey | KeyObject | Uint8Array,
  header: { alg: string; kid?: string },
): Promise<string> {
  const protectedHeader = {
    alg: header.alg,
    typ: POLICY_JWS_TYPE,
    cty: 'json',
    ...(header.kid ? { kid: header.kid } : {}),
  };
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader(protectedHeader).sign(key);
}

/** Returns the payload text when `jws` is signed by one of `keys`; throws a PolicyError otherwise. */
export async function verifyPolicySignature(jws: string, keys: readonly JWK[]): Promise<string> {
  if (keys.length === 0) {
    throw new PolicyError('bad_signature', 'the policy is signed but no org signing keys are configured to check it');
  }
  const keySet = createLocalJWKSet({ keys: keys.map((k) => ({ ...k })) });
  const options = { algorithms: ASYMMETRIC_ALGORITHMS };
  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(jws.trim(), keySet, options);
  } catch (error) {
    if (!(error instanceof joseErrors.JWKSMultipleMatchingKeys)) throw signatureError(error);
    verified = await verifyWithAnyOf(jws.trim(), error, options);
  }
  if (verified.protectedHeader.typ !== POLICY_JWS_TYPE) {
    throw new PolicyError(
      'bad_signature',
      `the signed document is not a policy (typ ${String(verified.protectedHeader.typ)})`,
    );
  }
  return new TextDecoder().decode(verified.payload);
}

// Several org keys without a `kid` can match; jose then hands us each candidate in turn.
async function verifyWithAnyOf(
  jws: string,
  candidates: joseErrors.JWKSMultipleMatchingKeys,
  options: { algorithms: string[] },
): Promise<Awaited<ReturnType<typeof compactVerify>>> {
  let last: unknown;
  for await (const key of candidates as unknown as AsyncIterable<CryptoKey>) {
    try {
      return await compactVerify(jws, key, options);
    } catch (error) {
      last = error;
    }
  }
  throw signatureError(last);
}

function signatureError(cause: unknown): PolicyError {
  if (cause instanceof joseErrors.JWKSNoMatchingKey) {
    return new PolicyError('bad_signature', 'the policy is signed with a key that is not one of the org signing keys', {
      cause,
    });
  }
  if (cause instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new PolicyError(
      'bad_signature',
      'the policy signature does not match its content (tampered with or corrupted)',
      {
        cause,
      },
    );
  }
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new PolicyError('bad_signature', `the policy signature could not be checked: ${detail}`, { cause });
}

import fs from 'node:fs/promises';
import { calculateJwkThumbprint, exportJWK, importJWK, importPKCS8 } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { OrgServerError } from './errors.ts';

export type PolicySigningKey = { key: CryptoKey | Uint8Array; alg: string; kid: string; publicJwk: JWK };

/**
 * Reads the key the server signs policies with: a private JWK (JSON) or a PKCS#8 PEM. The public
 * half, with a `kid`, is what goes into the managed config's `signingKeys`.
 */
export async function loadSigningKey(file: string): Promise<PolicySigningKey> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (cause) {
    throw new OrgServerError('sign_key_invalid', `cannot read the signing key ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    const jwk = text.trimStart().startsWith('{') ? (JSON.parse(text) as JWK) : await pemToJwk(text);
    if (!jwk.d) throw new Error('it is a public key; the server needs the private key to sign');
    const alg = jwk.alg ?? defaultAlgorithm(jwk);
    const key = await importJWK(jwk, alg);
    const { d: _private, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = jwk;
    const kid = jwk.kid ?? (await calculateJwkThumbprint(publicPart));
    return { key, alg, kid, publicJwk: { ...publicPart, alg, kid, use: 'sig' } };
  } catch (cause) {
    if (cause instanceof OrgServerError) throw cause;
    throw new OrgServerError('sign_key_invalid', `${file} is not a usable signing key: ${(cause as Error).message}`, {
      cause,
    });
  }
}

async function pemToJwk(pem: string): Promise<JWK> {
  // importPKCS8 needs the algorithm up front; any EC/OKP/RSA one makes it extractable, then the JWK tells the curve.
  for (const alg of ['ES256', 'ES384', 'ES512', 'EdDSA', 'RS256']) {
    try {
      return await exportJWK(await importPKCS8(pem, alg, { extractable: true }));
    } catch {
      // not this key type
    }
  }
  throw new Error('expected a PKCS#8 PEM ("BEGIN PRIVATE KEY") of an EC P-256/384/521, Ed25519 or RSA key');
}

function defaultAlgorithm(jwk: JWK): string {
  if (jwk.kty === 'EC') return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[jwk.crv ?? ''] ?? 'ES256';
  if (jwk.kty === 'OKP') return 'EdDSA';
  if (jwk.kty === 'RSA') return 'RS256';
  throw new Error(`unsupported key type ${jwk.kty}; use EC, OKP (Ed25519) or RSA`);
}

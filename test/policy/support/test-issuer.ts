import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { JWK, JWTPayload } from 'jose';

/**
 * A stand-in for the IdP's token side: a key pair, an OpenID metadata document and a JWKS on a free
 * loopback port, and `mint()` for access tokens. Enough for the org server to verify tokens the way
 * it does against a real IdP; the full sign-in flow is tested against oidc-provider elsewhere.
 */
export type TestIssuer = {
  issuer: string;
  jwksUri: string;
  mint(
    claims: JWTPayload,
    options?: { audience?: string; expiresIn?: string | number; key?: 'good' | 'rogue' },
  ): Promise<string>;
  /** Make the JWKS endpoint fail, to see how the org server copes with the IdP being down. */
  setJwksAvailable(available: boolean): void;
  close(): Promise<void>;
};

export async function startTestIssuer(defaultAudience: string): Promise<TestIssuer> {
  const good = await generateKeyPair('ES256');
  const rogue = await generateKeyPair('ES256');
  const publicJwk: JWK = { ...(await exportJWK(good.publicKey)), kid: 'test-key-1', alg: 'ES256', use: 'sig' };
  let jwksAvailable = true;
  let issuer = '';

  const server = http.createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (req.url === '/jwks' && jwksAvailable) {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [publicJwk] }));
    } else {
      res.statusCode = req.url === '/jwks' ? 503 : 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    async mint(claims, options = {}) {
      const rogueKey = options.key === 'rogue';
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'test-key-1', typ: 'at+jwt' })
        .setIssuer(issuer)
        .setAudience(options.audience ?? defaultAudience)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '10m')
        .sign(rogueKey ? rogue.privateKey : good.privateKey);
    },
    setJwksAvailable(available) {
      jwksAvailable = available;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// The demo org's "identity echo" server, also used by the org-mode tests: a remote MCP server that
// trusts only what it can verify, the way docs/server-authors.md tells server authors to do it.
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

export type IdentityEchoOptions = {
  issuer: string;
  jwksUri: string;
  /** When set, a request must also carry this header with this value (the org's shared secret). */
  sharedSecret?: { header: string; value: string };
};

export type IdentityEcho = {
  /** The MCP endpoint; also the audience the IdP-issued token must carry. */
  url: string;
  /** Requests refused because the token or the shared secret did not verify. */
  readonly rejected: number;
  close(): Promise<void>;
};

/**
 * The bearer token must be a JWT access token from the IdP: signature against the IdP's JWKS,
 * issuer, audience = this server's URL, type `at+jwt`, not expired. Its `whoami` tool reports the
 * verified identity and the identity headers it received, so a person (or a test) can see what
 * an upstream really learns, and that headers a client made up never get through.
 */
export async function startIdentityEcho(options: IdentityEchoOptions): Promise<IdentityEcho> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUri));
  const state = { rejected: 0 };
  let url = '';
  const server = http.createServer(async (req, res) => {
    let verified: JWTPayload;
    try {
      checkSharedSecret(req, options.sharedSecret);
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!token) throw new Error('no bearer token');
      ({ payload: verified } = await jwtVerify(token, jwks, { issuer: options.issuer, audience: url, typ: 'at+jwt' }));
    } catch (error) {
      state.rejected++;
      res
        .writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' })
        .end(JSON.stringify({ error: (error as Error).message }));
      return;
    }
    const mcp = new McpServer({ name: 'identity-echo', version: '1.0.0' });
    mcp.registerTool(
      'whoami',
      { description: 'Who the caller is, as this server verified it from the IdP-issued token' },
      async () => ({
        content: [
          {
            type: 'text',
            text: JSON.stringify({
              verified: { sub: verified.sub, email: verified.email, groups: verified.groups },
              headers: { email: req.headers['x-user-email'] ?? null, cookie: req.headers.cookie ?? null },
              token: {
                issuer: verified.iss,
                audience: verified.aud,
                expiresAt: verified.exp ? new Date(verified.exp * 1000).toISOString() : null,
                sharedSecret: options.sharedSecret ? 'verified' : 'not required',
              },
            }),
          },
        ],
      }),
    );
    // Stateless: every request is verified on its own, so a revoked or expired token stops at once.
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void transport.close());
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  return {
    url,
    get rejected() {
      return state.rejected;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Constant-time comparison of hashes, so the comparison's duration says nothing about the secret. */
function checkSharedSecret(req: http.IncomingMessage, expected: IdentityEchoOptions['sharedSecret']): void {
  if (!expected) return;
  const got = req.headers[expected.header.toLowerCase()];
  const digest = (value: string) => createHash('sha256').update(value).digest();
  if (typeof got !== 'string' || !timingSafeEqual(digest(got), digest(expected.value))) {
    throw new Error(`missing or wrong ${expected.header}`);
  }
}

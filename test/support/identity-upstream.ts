import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

/**
 * A remote MCP server that trusts only what it can verify: the bearer token must be a JWT from
 * the IdP (JWKS, issuer, audience = this server). Its `whoami` tool reports the verified identity
 * and the identity headers it received, so tests can see what an upstream really learns.
 */
export async function startIdentityUpstream(options: {
  issuer: string;
  jwksUri: string;
}): Promise<{ url: string; close(): Promise<void>; rejected: number }> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUri));
  const state = { rejected: 0 };
  let url = '';
  const server = http.createServer(async (req, res) => {
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    let verified: JWTPayload;
    try {
      if (!auth) throw new Error('no bearer token');
      ({ payload: verified } = await jwtVerify(auth, jwks, { issuer: options.issuer, audience: url, typ: 'at+jwt' }));
    } catch (error) {
      state.rejected++;
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: (error as Error).message }));
      return;
    }
    const mcp = new McpServer({ name: 'identity-upstream', version: '1.0.0' });
    mcp.registerTool('whoami', { description: 'Who the verified caller is' }, async () => ({
      content: [
        {
          type: 'text',
          text: JSON.stringify({
            verified: { sub: verified.sub, email: verified.email, groups: verified.groups },
            headers: { email: req.headers['x-user-email'] ?? null, cookie: req.headers.cookie ?? null },
          }),
        },
      ],
    }));
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

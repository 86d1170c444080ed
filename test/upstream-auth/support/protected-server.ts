// A remote MCP server protected by its own OAuth authorization server, as the MCP authorization
// spec (2025-11-25) describes it: oidc-provider 9 as the AS (dynamic client registration, resource
// indicators, JWT access tokens with aud = the MCP URL, rotating refresh tokens, revocation), and
// an SDK McpServer that verifies the bearer JWT against the AS's JWKS and answers 401 with
// `WWW-Authenticate: Bearer resource_metadata="…"` otherwise (RFC 9728 metadata served too).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createRemoteJWKSet, jwtVerify, type JWK } from 'jose';
import Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

export type ProtectedServer = {
  /** The MCP endpoint (also the RFC 8707 resource). */
  url: string;
  /** The same server over the legacy HTTP+SSE transport (GET here, POSTs to /messages), same tokens. */
  sseUrl: string;
  issuer: string;
  provider: Provider;
  /** Every bearer token the MCP server accepted, in order. */
  acceptedTokens: string[];
  /** Every request that reached the MCP server or its AS, in order, with the Authorization header sent. */
  requests: ServerRequest[];
  /** How many requests were answered 401. */
  unauthorizedCount(): number;
  /** Refuses this (still valid) access token from now on, as a server does after its own revocation. */
  rejectToken(token: string): void;
  /** The AS ends the grant behind a refresh token (the user revoked Gatehouse's access there). */
  revokeGrant(refreshToken: string): Promise<void>;
  /** Is this token still known to the AS (false after revocation)? */
  isKnownRefreshToken(refreshToken: string): Promise<boolean>;
  stop(): Promise<void>;
};

export type ServerRequest = {
  to: 'server' | 'authorization-server';
  method: string;
  path: string;
  authorization?: string;
};

export async function startProtectedServer(
  options: {
    accessTokenTtl?: number;
    /** `origin`: the resource indicator is the server's origin (no path), so it covers /mcp and /sse. */
    resource?: 'endpoint' | 'origin';
    /** false: no dynamic client registration (clients must be set up by hand, e.g. in policy). */
    registration?: boolean;
    /** Clients registered by hand (what an org's IT would do). */
    clients?: { client_id: string; redirect_uris: string[] }[];
    /** Bearer values accepted besides the AS's tokens (an API key or personal access token). */
    apiKeys?: string[];
  } = {},
): Promise<ProtectedServer> {
  const asServer = await listen();
  const issuer = `http://127.0.0.1:${(asServer.address() as AddressInfo).port}`;
  const mcpServer = await listen();
  const base = `http://127.0.0.1:${(mcpServer.address() as AddressInfo).port}`;
  const resource = options.resource === 'origin' ? base : `${base}/mcp`;
  const metadataUrl = `${base}/.well-known/oauth-protected-resource/mcp`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: 'test', alg: 'RS256', use: 'sig' };
  const provider = new Provider(issuer, {
    jwks: { keys: [signingKey] },
    clients: (options.clients ?? []).map((client) => ({
      ...client,
      application_type: 'native' as const,
      token_endpoint_auth_method: 'none' as const,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code' as const],
    })),
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { openid: ['sub'], email: ['email'] },
    async findAccount(_ctx, sub) {
      return { accountId: sub, claims: async () => ({ sub, email: `${sub}@example.test` }) };
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: options.registration ?? true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (indicator !== resource) throw new Error(`unknown resource ${indicator}`);
          return {
            scope: 'mcp:tools',
            audience: resource,
            accessTokenTTL: options.accessTokenTtl ?? 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    async extraTokenClaims(_ctx, token) {
      return 'accountId' in token ? { email: `${token.accountId}@example.test` } : undefined;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: options.accessTokenTtl ?? 300,
      RefreshToken: 3600,
      Grant: 3600,
      Session: 3600,
      Interaction: 600,
      IdToken: 300,
    },
  });
  provider.use(signInFromLoginHint(provider));
  const requests: ServerRequest[] = [];
  const record = (to: ServerRequest['to'], request: http.IncomingMessage) =>
    requests.push({
      to,
      method: request.method ?? '',
      path: new URL(request.url ?? '/', 'http://x').pathname,
      ...(request.headers.authorization !== undefined && { authorization: request.headers.authorization }),
    });
  const oidc = provider.callback();
  asServer.on('request', (request, response) => {
    record('authorization-server', request);
    void oidc(request, response);
  });

  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const acceptedTokens: string[] = [];
  const rejected = new Set<string>();
  const sseSessions = new Map<string, SSEServerTransport>();
  let unauthorized = 0;
  const challenge = (response: http.ServerResponse, error?: string) => {
    unauthorized++;
    response
      .writeHead(401, {
        'www-authenticate': `Bearer resource_metadata="${metadataUrl}", scope="mcp:tools"${error ? `, error="${error}"` : ''}`,
        'content-type': 'application/json',
      })
      .end(JSON.stringify({ error: error ?? 'unauthorized' }));
  };
  mcpServer.on('request', (request, response) => {
    record('server', request);
    void (async () => {
      const url = new URL(request.url ?? '/', base);
      if (url.pathname.startsWith('/.well-known/oauth-protected-resource')) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            resource,
            authorization_servers: [issuer],
            scopes_supported: ['mcp:tools'],
            bearer_methods_supported: ['header'],
          }),
        );
        return;
      }
      const legacy = url.pathname === '/sse' || url.pathname === '/messages';
      if (url.pathname !== '/mcp' && !legacy) return void response.writeHead(404).end();
      const token = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (!token) return challenge(response);
      if (rejected.has(token)) return challenge(response, 'invalid_token');
      let claims: { sub?: string; email?: unknown } = { sub: 'api-key' };
      if (!options.apiKeys?.includes(token)) {
        try {
          ({ payload: claims } = await jwtVerify(token, jwks, { issuer, audience: resource }));
        } catch {
          return challenge(response, 'invalid_token');
        }
      }
      acceptedTokens.push(token);
      if (url.pathname === '/messages') {
        const session = sseSessions.get(url.searchParams.get('sessionId') ?? '');
        if (!session) return void response.writeHead(404).end();
        await session.handlePostMessage(request, response);
        return;
      }
      // Streamable HTTP is stateless (a fresh server and transport per request); SSE keeps one per stream.
      const server = new McpServer({ name: 'notes', version: '1.0.0' });
      server.registerTool('whoami', { description: 'Who the token says you are' }, async () => ({
        content: [{ type: 'text', text: JSON.stringify({ sub: claims.sub, email: claims.email }) }],
      }));
      server.registerTool('echo', { description: 'Echoes' }, async () => ({
        content: [{ type: 'text', text: 'echo' }],
      }));
      if (url.pathname === '/sse') {
        const sse = new SSEServerTransport('/messages', response);
        sseSessions.set(sse.sessionId, sse);
        response.on('close', () => void sseSessions.delete(sse.sessionId));
        await server.connect(sse);
        return;
      }
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      response.on('close', () => void transport.close().then(() => server.close()));
      await server.connect(transport);
      await transport.handleRequest(request, response);
    })().catch((error: Error) => {
      if (!response.headersSent) response.writeHead(500).end(error.message);
    });
  });

  return {
    url: `${base}/mcp`,
    sseUrl: `${base}/sse`,
    issuer,
    provider,
    acceptedTokens,
    requests,
    unauthorizedCount: () => unauthorized,
    rejectToken: (token) => void rejected.add(token),
    async revokeGrant(refreshToken) {
      const stored = await provider.RefreshToken.find(refreshToken);
      if (!stored?.grantId) throw new Error('no such refresh token at the AS');
      const grant = await provider.Grant.find(stored.grantId);
      await grant?.destroy();
      await stored.destroy();
    },
    async isKnownRefreshToken(refreshToken) {
      return (await provider.RefreshToken.find(refreshToken)) !== undefined;
    },
    async stop() {
      await Promise.all([close(mcpServer), close(asServer)]);
    },
  };
}

/** Login from `login_hint` and consent to everything asked: a test user who always says yes. */
function signInFromLoginHint(provider: Provider) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<unknown>) => {
    if (ctx.method !== 'GET' || !/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result;
    if (details.prompt.name === 'login') {
      const hint = details.params.login_hint;
      if (typeof hint !== 'string') {
        ctx.status = 400;
        ctx.body = 'this test AS signs in only with a login_hint';
        return;
      }
      result = { login: { accountId: hint } };
    } else {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
      const missing = details.prompt.details as {
        missingOIDCScope?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      if (missing.missingOIDCScope) grant!.addOIDCScope(missing.missingOIDCScope.join(' '));
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
        grant!.addResourceScope(indicator, scopes.join(' '));
      result = { consent: { grantId: await grant!.save() } };
    }
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
    ctx.status = 303;
    ctx.redirect(returnTo);
  };
}

async function listen(): Promise<http.Server> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return server;
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

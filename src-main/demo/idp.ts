// A real OpenID Provider (oidc-provider 9) for tests and the demo org, in-process on 127.0.0.1.
//
// It behaves like an org IdP towards Gatehouse: a native public client with PKCE and loopback
// redirects on any port, rotating refresh tokens, the device flow, revocation, introspection, and
// JWT access tokens per resource (RFC 8707) that carry the user's email, groups, roles and team,
// and RFC 8693 token exchange (the user's access token for one minted for another audience).
// Two ways through the sign-in pages:
// - headless: a `login_hint` naming a known user signs that user in with no form at all, so a test
//   only has to follow redirects with a cookie jar;
// - forms: without a usable hint, oidc-provider's devInteractions login form is shown (any password),
//   which a real browser can fill in. Consent is always granted: Gatehouse is a first-party app.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import type { JWK } from 'jose';
import Provider from 'oidc-provider';
import { registerTokenExchange, TOKEN_EXCHANGE_GRANT } from './idp-token-exchange.ts';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';

export type IdpUser = {
  sub: string;
  email: string;
  name: string;
  groups: string[];
  roles: string[];
  team?: string;
};

export const DEFAULT_IDP_USERS: readonly IdpUser[] = [
  {
    sub: 'alice',
    email: 'alice@example.test',
    name: 'Alice Example',
    groups: ['eng', 'mcp-admins'],
    roles: ['admin'],
    team: 'platform',
  },
  { sub: 'bob', email: 'bob@example.test', name: 'Bob Example', groups: ['sales'], roles: [], team: 'gtm' },
  { sub: 'carol', email: 'carol@contractor.test', name: 'Carol Contractor', groups: [], roles: [] },
];

/** Lifetimes in seconds. Short values make expiry tests fast. */
type IdpTtls = {
  accessToken?: number;
  idToken?: number;
  refreshToken?: number;
  deviceCode?: number;
  session?: number;
};

export type IdpOptions = {
  users?: readonly IdpUser[];
  /** 0 (default) picks a free port. */
  port?: number;
  clientId?: string;
  ttl?: IdpTtls;
  /** Seconds between device-flow polls announced to clients (oidc-provider itself sends none, so clients wait 5 s). */
  deviceFlowInterval?: number;
  /** The scope every resource server (upstream MCP server, org server) understands. */
  resourceScope?: string;
  /** Where to keep the signing key so tokens survive a restart (the demo); tests keep one key per process. */
  keyFile?: string;
};

export type Idp = {
  /** The issuer identifier, exactly as discovery reports it (no trailing slash). */
  issuer: string;
  jwksUri: string;
  port: number;
  /** The native public client Gatehouse signs in with. */
  clientId: string;
  /** A confidential client for resource servers that introspect tokens. */
  introspectionClient: { clientId: string; clientSecret: string };
  users: readonly IdpUser[];
  resourceScope: string;
  /** The oidc-provider instance, for tests that listen to its events (e.g. 'grant.success', 'grant.revoked'). */
  provider: Provider;
  /** RFC 7662 introspection with the confidential client: what the IdP currently thinks of a token. */
  introspect(token: string): Promise<{ active: boolean } & Record<string, unknown>>;
  stop(): Promise<void>;
};

const DEFAULT_TTLS: Required<IdpTtls> = {
  accessToken: 300,
  idToken: 300,
  refreshToken: 8 * 3600,
  deviceCode: 300,
  session: 8 * 3600,
};

export async function startIdp(options: IdpOptions = {}): Promise<Idp> {
  const users = options.users ?? DEFAULT_IDP_USERS;
  const byId = new Map(users.map((user) => [user.sub, user]));
  const clientId = options.clientId ?? 'gatehouse';
  const ttl = { ...DEFAULT_TTLS, ...options.ttl };
  const resourceScope = options.resourceScope ?? 'mcp:tools';
  const deviceFlowInterval = options.deviceFlowInterval ?? 1;
  const introspectionClient = {
    clientId: `${clientId}-resource-server`,
    clientSecret: randomBytes(24).toString('base64url'),
  };
  const signingKey = await loadSigningKey(options.keyFile);

  // The issuer contains the port, so listen first and attach the provider afterwards.
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;

  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        // Native clients: oidc-provider compares loopback redirect URIs without the port (RFC 8252 §7.3).
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: [
          'authorization_code',
          'refresh_token',
          'urn:ietf:params:oauth:grant-type:device_code',
          TOKEN_EXCHANGE_GRANT,
        ],
        response_types: ['code'],
      },
      {
        client_id: introspectionClient.clientId,
        client_secret: introspectionClient.clientSecret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups', 'roles', 'team'],
    },
    // The default puts scope claims only into userinfo; Gatehouse reads them from the ID token.
    conformIdTokenClaims: false,
    async findAccount(_ctx, sub) {
      const user = byId.get(sub);
      if (!user) return undefined;
      return { accountId: sub, claims: async () => ({ ...user, email_verified: true }) };
    },
    features: {
      devInteractions: { enabled: true },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: (ctx, form, _out, error) =>
          renderPage(
            ctx,
            'Sign in to Gatehouse',
            `${error ? '<p>That code is not valid; check it and try again.</p>' : ''}${form}<button type="submit" form="op.deviceInputForm">Continue</button>`,
          ),
        userCodeConfirmSource: (ctx, form, _client, _device, userCode) =>
          renderPage(
            ctx,
            'Sign in to Gatehouse',
            `<p>Confirm that this code is shown by the Gatehouse you started: <code>${userCode}</code></p>${form}<button autofocus type="submit" form="op.deviceConfirmForm">Continue</button>`,
          ),
        successSource: (ctx) => renderPage(ctx, 'Signed in', '<p>You are signed in. Return to your terminal.</p>'),
      },
      // Only the token's own client may revoke it; introspection is for resource servers too.
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) =>
          client.clientId === introspectionClient.clientId || token?.clientId === client.clientId,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx, resource) => ({
          scope: resourceScope,
          audience: resource,
          accessTokenTTL: ttl.accessToken,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    // Identity inside every access token, so a resource server needs nothing but the JWT.
    async extraTokenClaims(_ctx, token) {
      const user = 'accountId' in token ? byId.get(token.accountId) : undefined;
      if (!user) return undefined;
      return { email: user.email, groups: user.groups, roles: user.roles, ...(user.team && { team: user.team }) };
    },
    // Refresh tokens without `prompt=consent`/offline_access, and not tied to the browser session:
    // a desktop app keeps its sign-in after the browser is closed.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: async () => false,
    ttl: {
      AccessToken: ttl.accessToken,
      IdToken: ttl.idToken,
      RefreshToken: ttl.refreshToken,
      DeviceCode: ttl.deviceCode,
      Session: ttl.session,
      Grant: ttl.refreshToken,
      Interaction: 600,
    },
  };

  const provider = withQuietDevWarnings(() => new Provider(issuer, configuration));
  registerTokenExchange(provider, { resourceScope, accessTokenTtl: ttl.accessToken });
  provider.use(announceDeviceFlowInterval(deviceFlowInterval));
  provider.use(skipFormsWhenPossible(provider, byId));
  server.on('request', provider.callback());

  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    port,
    clientId,
    introspectionClient,
    users,
    resourceScope,
    provider,
    introspect: (token) => introspect(issuer, introspectionClient, token),
    stop: () => stopServer(server),
  };
}

/**
 * Consent is always granted (first-party app); the login prompt is answered without a form when
 * `login_hint` names a known user. Everything else falls through to devInteractions' pages.
 */
function skipFormsWhenPossible(provider: Provider, users: Map<string, IdpUser>) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<unknown>) => {
    if (ctx.method !== 'GET' || !/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
    let result;
    if (details.prompt.name === 'login' && hint && users.has(hint)) {
      result = { login: { accountId: hint } };
    } else if (details.prompt.name === 'consent') {
      result = { consent: { grantId: await grantEverythingAsked(provider, details) } };
    } else {
      return next();
    }
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
    ctx.status = 303;
    ctx.redirect(returnTo);
  };
}

async function grantEverythingAsked(
  provider: Provider,
  details: Awaited<ReturnType<Provider['interactionDetails']>>,
): Promise<string> {
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session?.accountId, clientId: String(details.params.client_id) });
  if (!grant) throw new Error(`Grant ${details.grantId} vanished during the interaction`);
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  return grant.save();
}

function renderPage(ctx: KoaContextWithOIDC, title: string, body: string): void {
  ctx.type = 'html';
  ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}

/** oidc-provider sends no `interval`, so clients fall back to 5 s between polls; tests want less. */
function announceDeviceFlowInterval(seconds: number) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<unknown>) => {
    await next();
    if (ctx.path === '/device/auth' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
      (ctx.body as Record<string, unknown>).interval = seconds;
    }
  };
}

async function introspect(
  issuer: string,
  client: { clientId: string; clientSecret: string },
  token: string,
): Promise<{ active: boolean } & Record<string, unknown>> {
  const response = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token }),
  });
  if (!response.ok) throw new Error(`introspection failed: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as { active: boolean } & Record<string, unknown>;
}

let processSigningKey: Promise<JWK> | undefined;

/** One RSA key per process (cheap tests), or one per key file (the demo keeps its tokens valid across restarts). */
async function loadSigningKey(keyFile: string | undefined): Promise<JWK> {
  if (!keyFile) return (processSigningKey ??= generateSigningKey());
  try {
    return JSON.parse(await fs.readFile(keyFile, 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = await generateSigningKey();
  await fs.mkdir(path.dirname(keyFile), { recursive: true });
  await fs.writeFile(keyFile, JSON.stringify(key), { mode: 0o600 });
  return key;
}

async function generateSigningKey(): Promise<JWK> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' };
}

/** oidc-provider warns on construction about dev-only features that are exactly what a test IdP wants. */
function withQuietDevWarnings<T>(create: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider WARNING')) return;
    warn(...args);
  };
  try {
    return create();
  } finally {
    console.warn = warn;
  }
}

function stopServer(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

import type { AuthorizationServerMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { checkResourceAllowed, resourceUrlFromServerUrl } from '@modelcontextprotocol/sdk/shared/auth-utils.js';
import type { RemoteServerConfig } from '../config/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import type { BearerChallenge } from './challenge.ts';
import { UpstreamAuthError } from './errors.ts';
import type { StoredClient, StoredGrant } from './grant-store.ts';
import type { ServerOAuthSettings } from './upstream-oauth.ts';

// What Gatehouse asks of a remote server's authorization server: where it is (discovery), who
// Gatehouse is there (a client id from policy, or dynamic registration), and revocation.

/**
 * The SDK's OAuth client brings its zod schemas (~8 MB resident): loaded at the first discovery,
 * sign-in or refresh, so a gateway that never meets a protected server never pays for it.
 */
export const sdkAuth = () => import('@modelcontextprotocol/sdk/client/auth.js');

const REVOKE_TIMEOUT_MS = 5_000;

export type AuthServerDeps = {
  fetchFn: typeof fetch;
  secretStore: SecretStore;
  registerSecret: (value: string) => void;
  log?: (line: string) => void;
};

/** RFC 9728 protected resource metadata (from the challenge, else well-known), then RFC 8414 / OIDC. */
export async function discoverAuthorization(
  config: RemoteServerConfig & { name: string },
  challenge: BearerChallenge | undefined,
  fetchFn: typeof fetch,
): Promise<{
  metadata: AuthorizationServerMetadata;
  authorizationServer: string;
  resource: string;
  scopesSupported: string[] | undefined;
}> {
  const server = config.name;
  const resourceMetadata = await (
    await sdkAuth()
  )
    .discoverOAuthProtectedResourceMetadata(
      config.url,
      challenge?.resourceMetadataUrl ? { resourceMetadataUrl: challenge.resourceMetadataUrl } : undefined,
      fetchFn,
    )
    .catch(() => undefined);
  let resource = resourceUrlFromServerUrl(config.url).href;
  if (resourceMetadata?.resource) {
    if (!checkResourceAllowed({ requestedResource: config.url, configuredResource: resourceMetadata.resource })) {
      throw new UpstreamAuthError(
        'discovery_failed',
        server,
        `${server} names the resource ${resourceMetadata.resource}, which does not cover ${config.url}; Gatehouse will not send it a token.`,
      );
    }
    // Sent verbatim: a pathless indicator must not gain a trailing slash.
    resource = resourceMetadata.resource;
  }
  const authorizationServer = resourceMetadata?.authorization_servers?.[0] ?? new URL('/', config.url).href;
  const metadata = await (
    await sdkAuth()
  )
    .discoverAuthorizationServerMetadata(authorizationServer, { fetchFn: fetchFn })
    .catch((cause: Error) => {
      throw new UpstreamAuthError(
        'discovery_failed',
        server,
        `Gatehouse could not read the authorization server of ${server} (${authorizationServer}): ${cause.message}`,
        { cause },
      );
    });
  if (!metadata) {
    throw new UpstreamAuthError(
      'discovery_failed',
      server,
      `${server} asks for a sign-in, but ${authorizationServer} publishes no OAuth metadata Gatehouse could use.`,
    );
  }
  // MCP authorization: without advertised S256 PKCE support the client must not go on.
  if (!metadata.code_challenge_methods_supported?.includes('S256')) {
    throw new UpstreamAuthError(
      'discovery_failed',
      server,
      `${server}'s authorization server (${authorizationServer}) does not say it supports PKCE (S256), so Gatehouse will not sign in there.`,
    );
  }
  return { metadata, authorizationServer, resource, scopesSupported: resourceMetadata?.scopes_supported };
}

export async function clientFor(
  server: string,
  settings: ServerOAuthSettings,
  authorizationServer: string,
  metadata: AuthorizationServerMetadata,
  redirectUri: string,
  deps: AuthServerDeps,
): Promise<StoredClient> {
  if (settings.clientId) {
    const secret = settings.clientSecretRef
      ? await deps.secretStore.get(`org-secret:${settings.clientSecretRef}`)
      : undefined;
    if (secret) deps.registerSecret(secret);
    return { client_id: settings.clientId, ...(secret && { client_secret: secret }), source: 'policy' };
  }
  if (!metadata.registration_endpoint) {
    throw new UpstreamAuthError(
      'registration_failed',
      server,
      `${server}'s authorization server does not let Gatehouse register itself; ask your IT team to set a client id for it in the policy (oauth.clientId).`,
    );
  }
  try {
    // Registered for this exact loopback redirect: not every authorization server ignores the port.
    const registered = await (
      await sdkAuth()
    ).registerClient(authorizationServer, {
      metadata,
      clientMetadata: {
        client_name: 'Gatehouse',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        application_type: 'native',
      } as Parameters<Awaited<ReturnType<typeof sdkAuth>>['registerClient']>[1]['clientMetadata'],
      // No `scope` here: servers' resource scopes are often not in the authorization server's
      // scopes_supported, and some (oidc-provider) refuse the registration for it.
      fetchFn: deps.fetchFn,
    });
    if (registered.client_secret) deps.registerSecret(registered.client_secret);
    return {
      client_id: registered.client_id,
      ...(registered.client_secret && { client_secret: registered.client_secret }),
      source: 'dynamic',
    };
  } catch (cause) {
    throw new UpstreamAuthError(
      'registration_failed',
      server,
      `${server}'s authorization server refused to register Gatehouse: ${(cause as Error).message}`,
      { cause },
    );
  }
}

export async function revokeGrant(grant: StoredGrant, deps: AuthServerDeps): Promise<boolean> {
  const endpoint = (grant.metadata as { revocation_endpoint?: string }).revocation_endpoint;
  if (!endpoint) return false;
  const tokens: [string, string][] = [
    ...(grant.refreshToken ? [[grant.refreshToken, 'refresh_token'] as [string, string]] : []),
    [grant.accessToken, 'access_token'],
  ];
  let revoked = false;
  for (const [token, hint] of tokens) {
    const body = new URLSearchParams({ token, token_type_hint: hint, client_id: grant.client.client_id });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (grant.client.client_secret) {
      body.delete('client_id');
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(grant.client.client_id)}:${encodeURIComponent(grant.client.client_secret)}`).toString('base64')}`;
    }
    try {
      const response = await deps.fetchFn(endpoint, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(REVOKE_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.ok) revoked = true;
    } catch (error) {
      deps.log?.(`upstream auth: revoking the ${hint} of ${grant.server} failed: ${(error as Error).message}`);
    }
  }
  return revoked;
}

/**
 * MCP's scope selection: the policy's scopes, else the challenge's `scope`, else what the
 * resource metadata lists; plus offline_access where the authorization server offers it (most
 * issue refresh tokens only then).
 */
export function pickScope(
  settings: ServerOAuthSettings,
  challenge: BearerChallenge | undefined,
  scopesSupported: string[] | undefined,
  metadata: AuthorizationServerMetadata,
): string | undefined {
  const base = settings.scopes?.join(' ') ?? challenge?.scope ?? scopesSupported?.join(' ') ?? '';
  const scopes = base.split(/\s+/).filter(Boolean);
  if (metadata.scopes_supported?.includes('offline_access') && !scopes.includes('offline_access'))
    scopes.push('offline_access');
  return scopes.length > 0 ? scopes.join(' ') : undefined;
}

import { randomBytes } from 'node:crypto';
import type { AuthorizationServerMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { decodeJwt } from 'jose';
import { startLoopbackRedirect, type LoopbackRedirect } from '../auth/index.ts';
import type { RemoteServerConfig, ServerConfig } from '../config/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import { UpstreamError, type UpstreamAuth } from '../upstream/index.ts';
import { parseBearerChallenge, type BearerChallenge } from './challenge.ts';
import { consentMessage, policyCredentialMessage, UpstreamAuthError } from './errors.ts';
import {
  clientFor,
  discoverAuthorization,
  pickScope,
  revokeGrant,
  sdkAuth,
  type AuthServerDeps,
} from './authorization-server.ts';
import { GrantStore, type StoredClient, type StoredGrant } from './grant-store.ts';

const DEFAULT_AUTHORIZATION_TIMEOUT_MS = 5 * 60_000;

/** Per-server OAuth settings: from the org policy (`oauth`) or the user's own config entry. */
export type ServerOAuthSettings = {
  clientId?: string;
  /** Org secret (`org-secret:<ref>` in the secret store) holding the pre-registered client's secret. */
  clientSecretRef?: string;
  scopes?: string[];
};

export type UpstreamOAuthDeps = {
  secretStore: SecretStore;
  openBrowser: (url: string) => Promise<void>;
  /** The servers the gateway runs now (their URLs and OAuth settings). */
  servers: () => ServerConfig[];
  /** The org user the tokens belong to; null in personal mode. Grants of anyone else are ignored. */
  owner: () => string | null;
  /** Told every token, so audit records mask it. */
  registerSecret: (value: string) => void;
  /** A server got new credentials (connect now). */
  onConnected: (server: string) => void;
  /** Something the Connections view shows changed. */
  onChange: () => void;
  /**
   * Servers that get an Authorization header from the org policy (the IdP's token, an exchanged
   * token, an org or user credential): never OAuth here, and their 401 names that credential.
   */
  sendsOwnAuthorization?: (server: ServerConfig) => boolean;
  fetch?: typeof fetch;
  now?: () => number;
  authorizationTimeoutMs?: number;
  log?: (line: string) => void;
};

export type ConnectionState = 'connected' | 'needs-consent' | 'connecting' | 'error';

export type ConnectionStatus = {
  server: string;
  state: ConnectionState;
  /** Who the user is at the server (email or subject), when its tokens say. */
  user: string | null;
  authorizationServer: string | null;
  expiresAt: string | null;
  connectedAt: string | null;
  lastRefreshAt: string | null;
  error?: string;
};

type Flow = { authorizationUrl: string; redirect: LoopbackRedirect };
type Runtime = { challenge?: BearerChallenge; needsConsent: boolean; error?: string };

/**
 * Per-user OAuth from Gatehouse to remote MCP servers (MCP authorization, 2025-11-25): discovery
 * from the server's 401, dynamic client registration or a client id set in policy, authorization
 * code + PKCE on a loopback redirect in the system browser, resource indicators, refresh before
 * expiry and after a 401 (one at a time per server), revocation on disconnect and sign-out.
 * Tokens live only in the secret store; AI clients never see them.
 */
export class UpstreamOAuth {
  private readonly deps: UpstreamOAuthDeps;
  private readonly grants: GrantStore;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  /** Loaded grants (null: none stored), so a request never waits for the secret store twice. */
  private readonly cache = new Map<string, StoredGrant | null>();
  private readonly runtime = new Map<string, Runtime>();
  private readonly refreshing = new Map<string, Promise<StoredGrant | undefined>>();
  private readonly flows = new Map<string, Flow>();
  private forgetting: Promise<void> | undefined;

  constructor(deps: UpstreamOAuthDeps) {
    this.deps = deps;
    this.grants = new GrantStore(deps.secretStore);
    this.fetchFn = deps.fetch ?? fetch;
    this.now = deps.now ?? Date.now;
  }

  /** The pool's hook for a remote server; none for servers whose config already sends a bearer. */
  private authServerDeps(): AuthServerDeps {
    return {
      fetchFn: this.fetchFn,
      secretStore: this.deps.secretStore,
      registerSecret: this.deps.registerSecret,
      ...(this.deps.log && { log: this.deps.log }),
    };
  }

  authFor(config: ServerConfig): UpstreamAuth | undefined {
    if (config.transport === 'stdio') return undefined;
    if (hasAuthorizationHeader(config)) return undefined;
    const name = config.name;
    if (this.deps.sendsOwnAuthorization?.(config)) {
      // A 401 here is the policy's credential failing: say so, rather than "could not be reached".
      return {
        headers: () => ({}),
        unauthorized: async (wwwAuthenticate) => {
          throw new UpstreamError(
            'connect_failed',
            name,
            policyCredentialMessage(name, parseBearerChallenge(wwwAuthenticate)?.error),
          );
        },
      };
    }
    return {
      headers: () => this.headers(name),
      unauthorized: (challenge, sent) => this.unauthorized(name, challenge, sent),
    };
  }

  /** Remote servers Gatehouse signs in to: not those whose config or org policy sends Authorization. */
  private signsIn(config: ServerConfig): boolean {
    if (config.transport === 'stdio') return false;
    if (hasAuthorizationHeader(config)) return false;
    return !this.deps.sendsOwnAuthorization?.(config);
  }

  private state(server: string): Runtime {
    let state = this.runtime.get(server);
    if (!state) this.runtime.set(server, (state = { needsConsent: false }));
    return state;
  }

  /** This user's grant for the server, or undefined. */
  private async grant(server: string): Promise<StoredGrant | undefined> {
    let grant = this.cache.get(server);
    if (grant === undefined) {
      grant = (await this.grants.read(server).catch(() => undefined)) ?? null;
      this.cache.set(server, grant);
      if (grant) this.registerTokens(grant);
    }
    return this.mine(grant);
  }

  /** `stored` when it is the signed-in user's grant (a grant belongs to whoever was signed in). */
  private mine(stored: StoredGrant | null | undefined): StoredGrant | undefined {
    return stored && stored.owner === this.deps.owner() ? stored : undefined;
  }

  private registerTokens(grant: StoredGrant): void {
    this.deps.registerSecret(grant.accessToken);
    if (grant.refreshToken) this.deps.registerSecret(grant.refreshToken);
  }

  private async save(grant: StoredGrant): Promise<void> {
    this.registerTokens(grant);
    await this.grants.write(grant);
    this.cache.set(grant.server, grant);
  }

  /** The bearer header; synchronous while the grant is in memory and not due for renewal. */
  private headers(server: string): Record<string, string> | Promise<Record<string, string>> {
    const cached = this.cache.get(server);
    if (cached === undefined) return this.renewedHeaders(server);
    const grant = this.mine(cached);
    if (grant && this.expiresSoon(grant) && grant.refreshToken) return this.renewedHeaders(server);
    return bearer(grant);
  }

  private async renewedHeaders(server: string): Promise<Record<string, string>> {
    let grant = await this.grant(server);
    if (grant && this.expiresSoon(grant) && grant.refreshToken) {
      // Renew ahead of expiry; if the authorization server is briefly away, the current token still works.
      grant = (await this.refresh(server, grant.accessToken).catch(() => grant)) ?? undefined;
    }
    return bearer(grant);
  }

  private expiresSoon(grant: StoredGrant): boolean {
    if (grant.expiresAt === undefined) return false;
    const lifetime = grant.expiresAt - grant.issuedAt;
    return this.now() >= Math.min(grant.issuedAt + lifetime * 0.8, grant.expiresAt - 5_000);
  }

  /**
   * The server answered 401. A newer token than the one sent, or a refreshed one, gets one more
   * try; otherwise the server waits for the user's consent and the call says so.
   */
  private async unauthorized(
    server: string,
    wwwAuthenticate: string | undefined,
    sent: Record<string, string>,
  ): Promise<void> {
    const challenge = parseBearerChallenge(wwwAuthenticate);
    if (!challenge) {
      throw new UpstreamError(
        'connect_failed',
        server,
        `Server '${server}' refused Gatehouse (HTTP 401) without asking for an OAuth sign-in; check the credentials in its configuration.`,
      );
    }
    const state = this.state(server);
    state.challenge = challenge;
    const grant = await this.grant(server);
    const sentToken = bearerOf(sent);
    if (grant) {
      if (sentToken !== grant.accessToken) return;
      if (challenge.error !== 'insufficient_scope' && grant.refreshToken) {
        const fresh = await this.refresh(server, sentToken).catch((error: Error) => {
          throw new UpstreamError(
            'connect_failed',
            server,
            `Server '${server}' rejected its token and Gatehouse could not renew it: ${error.message}`,
            { cause: error },
          );
        });
        if (fresh) return;
      } else {
        await this.drop(server);
      }
    }
    if (!state.needsConsent) {
      state.needsConsent = true;
      this.deps.onChange();
    }
    throw new UpstreamError('auth_required', server, consentMessage(server));
  }

  /**
   * One refresh at a time per server: rotating refresh tokens are single-use, and reusing one makes
   * most authorization servers revoke the whole grant. A caller whose token was already replaced
   * gets the replacement. A dead grant (invalid_grant) is deleted: the user must connect again.
   */
  private refresh(server: string, staleToken: string | undefined): Promise<StoredGrant | undefined> {
    const running = this.refreshing.get(server);
    if (running) return running;
    const attempt = (async () => {
      const grant = await this.grant(server);
      if (!grant || grant.accessToken !== staleToken) return grant;
      if (!grant.refreshToken) return undefined;
      let tokens: OAuthTokens;
      try {
        tokens = await (
          await sdkAuth()
        ).refreshAuthorization(grant.authorizationServer, {
          metadata: grant.metadata,
          clientInformation: grant.client,
          refreshToken: grant.refreshToken,
          resource: grant.resource,
          fetchFn: this.fetchFn,
        });
      } catch (error) {
        if (isDeadGrant(error)) {
          this.deps.log?.(`upstream auth: ${server}: the authorization server ended the grant; connect it again`);
          await this.drop(server);
          return undefined;
        }
        this.state(server).error = `Renewing the token failed: ${(error as Error).message}`;
        throw error;
      }
      const renewed = this.grantFrom(grant, tokens, { lastRefreshAt: new Date(this.now()).toISOString() });
      // The rotated refresh token is stored before the new access token is used.
      await this.save(renewed);
      this.state(server).error = undefined;
      this.deps.onChange();
      return renewed;
    })().finally(() => this.refreshing.delete(server));
    this.refreshing.set(server, attempt);
    return attempt;
  }

  private grantFrom(base: StoredGrant, tokens: OAuthTokens, extra: Partial<StoredGrant>): StoredGrant {
    const issuedAt = this.now();
    return {
      ...base,
      ...extra,
      accessToken: tokens.access_token,
      ...(tokens.refresh_token && { refreshToken: tokens.refresh_token }),
      issuedAt,
      expiresAt: tokens.expires_in !== undefined ? issuedAt + tokens.expires_in * 1000 : undefined,
      ...(tokens.scope && { scope: tokens.scope }),
      who: whoFrom(tokens) ?? base.who,
    };
  }

  /** Deletes a grant that no longer works (no revocation: the authorization server ended it). */
  private async drop(server: string): Promise<void> {
    await this.grants.delete(server).catch(() => {});
    this.cache.set(server, null);
    this.state(server).needsConsent = true;
    this.deps.onChange();
  }

  private remoteServer(server: string): RemoteServerConfig & { name: string } {
    const config = this.deps.servers().find((s) => s.name === server);
    if (!config || config.transport === 'stdio') {
      throw new UpstreamAuthError(
        'unknown_server',
        server,
        config
          ? `Server '${server}' runs on this computer; only remote servers are connected with a sign-in.`
          : `No server named '${server}' is configured.`,
      );
    }
    if (!this.signsIn(config)) {
      throw new UpstreamAuthError(
        'own_authorization',
        server,
        `Server '${server}' gets its Authorization from its configuration or your organization's policy, so there is nothing to connect; if its calls fail, check that credential.`,
      );
    }
    return config;
  }

  /**
   * Starts connecting a server in the system browser and returns the authorization page (the
   * window shows it as a link in case no browser opened). Completion shows in `list()`.
   */
  async connect(server: string): Promise<{ authorizationUrl: string }> {
    const config = this.remoteServer(server);
    const running = this.flows.get(server);
    if (running) return { authorizationUrl: running.authorizationUrl };
    const state = this.state(server);
    state.error = undefined;
    let flow: Flow & { wait: () => Promise<void> };
    try {
      flow = await this.prepare(config);
    } catch (error) {
      state.error = (error as Error).message;
      this.deps.onChange();
      throw error;
    }
    this.flows.set(server, flow);
    this.deps.onChange();
    void flow
      .wait()
      .catch((error: Error) => {
        state.error = error.message;
        this.deps.log?.(`upstream auth: connecting ${server} failed: ${error.message}`);
      })
      .finally(async () => {
        this.flows.delete(server);
        await flow.redirect.close();
        this.deps.onChange();
      });
    await this.deps.openBrowser(flow.authorizationUrl).catch((error: Error) => {
      this.deps.log?.(`upstream auth: could not open the browser (${error.message}); open the link from the window`);
    });
    return { authorizationUrl: flow.authorizationUrl };
  }

  /** Discovery, client registration and the authorization URL; `wait` finishes the flow. */
  private async prepare(config: RemoteServerConfig & { name: string }): Promise<Flow & { wait: () => Promise<void> }> {
    const server = config.name;
    const settings = oauthSettings(config);
    const challenge = this.state(server).challenge;
    const discovered = await discoverAuthorization(config, challenge, this.fetchFn);
    const { metadata, authorizationServer, resource } = discovered;
    const scope = pickScope(settings, challenge, discovered.scopesSupported, metadata);
    const expectedState = randomBytes(24).toString('base64url');
    const redirect = await startLoopbackRedirect(expectedState);
    try {
      const client = await clientFor(
        server,
        settings,
        authorizationServer,
        metadata,
        redirect.redirectUri,
        this.authServerDeps(),
      );
      const { authorizationUrl, codeVerifier } = await (
        await sdkAuth()
      ).startAuthorization(authorizationServer, {
        metadata,
        clientInformation: client,
        redirectUrl: redirect.redirectUri,
        ...(scope && { scope }),
        state: expectedState,
        resource,
      });
      const wait = async () => {
        const callback = await withTimeout(
          redirect.callback,
          this.deps.authorizationTimeoutMs ?? DEFAULT_AUTHORIZATION_TIMEOUT_MS,
          () =>
            new UpstreamAuthError(
              'authorization_timeout',
              server,
              `Connecting ${server} did not finish in time; press Connect again in Gatehouse.`,
            ),
        );
        try {
          const tokens = await this.finishAuthorization(server, callback, {
            metadata,
            authorizationServer,
            client,
            codeVerifier,
            redirectUri: redirect.redirectUri,
            resource,
          });
          const now = new Date(this.now()).toISOString();
          const base: StoredGrant = {
            server,
            owner: this.deps.owner(),
            resource,
            authorizationServer,
            metadata,
            client,
            accessToken: '',
            issuedAt: 0,
            connectedAt: now,
          };
          const grant = this.grantFrom(base, tokens, {});
          await this.save(grant);
          const state = this.state(server);
          state.needsConsent = false;
          state.error = undefined;
          redirect.finish({ ok: true, who: `${grant.who ?? 'you'} (${server} is connected)` });
          this.deps.onConnected(server);
        } catch (error) {
          redirect.finish({ ok: false, message: (error as Error).message });
          throw error;
        }
      };
      return { authorizationUrl: authorizationUrl.href, redirect, wait };
    } catch (error) {
      await redirect.close();
      throw error;
    }
  }

  private async finishAuthorization(
    server: string,
    callback: URL,
    flow: {
      metadata: AuthorizationServerMetadata;
      authorizationServer: string;
      client: StoredClient;
      codeVerifier: string;
      redirectUri: string;
      resource: string;
    },
  ): Promise<OAuthTokens> {
    const error = callback.searchParams.get('error');
    if (error) {
      const description = callback.searchParams.get('error_description');
      throw new UpstreamAuthError(
        'authorization_failed',
        server,
        `${server} did not grant access (${error}${description ? `: ${description}` : ''}).`,
      );
    }
    // RFC 9207: a response from another authorization server than the one asked is refused.
    const iss = callback.searchParams.get('iss');
    if (iss && iss !== flow.metadata.issuer) {
      throw new UpstreamAuthError(
        'authorization_failed',
        server,
        `The sign-in for ${server} came back from ${iss}, not ${flow.metadata.issuer}.`,
      );
    }
    const code = callback.searchParams.get('code');
    if (!code)
      throw new UpstreamAuthError('authorization_failed', server, `The sign-in for ${server} returned no code.`);
    try {
      return await (
        await sdkAuth()
      ).exchangeAuthorization(flow.authorizationServer, {
        metadata: flow.metadata,
        clientInformation: flow.client,
        authorizationCode: code,
        codeVerifier: flow.codeVerifier,
        redirectUri: flow.redirectUri,
        resource: flow.resource,
        fetchFn: this.fetchFn,
      });
    } catch (cause) {
      throw new UpstreamAuthError(
        'authorization_failed',
        server,
        `${server}'s authorization server refused the sign-in: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  /** Revokes the server's tokens at its authorization server (when it offers that) and deletes them. */
  async disconnect(server: string): Promise<{ revoked: boolean }> {
    const grant = await this.grants.read(server).catch(() => undefined);
    // Deleted first: access stops at once, even when the authorization server cannot be reached.
    await this.grants.delete(server);
    this.cache.set(server, null);
    const state = this.state(server);
    if (grant) state.needsConsent = true;
    state.error = undefined;
    this.deps.onChange();
    return { revoked: grant ? await revokeGrant(grant, this.authServerDeps()) : false };
  }

  /** Sign-out or another user: every stored upstream grant is revoked and deleted. */
  forgetAll(): Promise<void> {
    this.forgetting ??= (async () => {
      for (const server of await this.grants.names()) await this.disconnect(server).catch(() => undefined);
      for (const [server, grant] of this.cache) if (grant) this.cache.set(server, null);
    })().finally(() => {
      this.forgetting = undefined;
    });
    return this.forgetting;
  }

  /** Deletes the grants of servers the org no longer lets this user use. */
  async forgetServers(keep: (server: string) => boolean): Promise<void> {
    for (const server of await this.grants.names()) if (!keep(server)) await this.disconnect(server);
  }

  /** Grants of anyone but the current user (left by a sign-out the gateway did not see) are revoked and deleted. */
  async forgetOtherUsers(): Promise<void> {
    const owner = this.deps.owner();
    for (const server of await this.grants.names()) {
      const grant = await this.grants.read(server).catch(() => undefined);
      if (!grant || grant.owner !== owner) await this.disconnect(server).catch(() => undefined);
    }
  }

  /** Names of servers with a stored grant for the current user (to reconnect them after sign-in). */
  async connectedServers(): Promise<string[]> {
    const names = await this.grants.names();
    const mine = await Promise.all(names.map(async (n) => ((await this.grant(n)) ? n : undefined)));
    return mine.filter((n): n is string => n !== undefined);
  }

  /** Remote servers that use OAuth (or were asked to), for the Connections view. */
  async list(): Promise<ConnectionStatus[]> {
    const out: ConnectionStatus[] = [];
    for (const config of this.deps.servers()) {
      if (!this.signsIn(config)) continue;
      const server = config.name;
      const grant = await this.grant(server);
      const state = this.runtime.get(server);
      const flow = this.flows.get(server);
      if (!grant && !flow && !state?.needsConsent && !state?.error && !oauthSettings(config).clientId) continue;
      out.push({
        server,
        state: flow
          ? 'connecting'
          : grant
            ? state?.error
              ? 'error'
              : 'connected'
            : state?.error
              ? 'error'
              : 'needs-consent',
        user: grant?.who ?? null,
        authorizationServer: grant?.authorizationServer ?? null,
        expiresAt: grant?.expiresAt !== undefined ? new Date(grant.expiresAt).toISOString() : null,
        connectedAt: grant?.connectedAt ?? null,
        lastRefreshAt: grant?.lastRefreshAt ?? null,
        ...(state?.error && { error: state.error }),
      });
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.flows.values()].map((flow) => flow.redirect.close()));
    this.flows.clear();
  }
}

function oauthSettings(config: ServerConfig): ServerOAuthSettings {
  const raw = (config as { oauth?: unknown }).oauth;
  if (!raw || typeof raw !== 'object') return {};
  const o = raw as Record<string, unknown>;
  return {
    ...(typeof o.clientId === 'string' && { clientId: o.clientId }),
    ...(typeof o.clientSecretRef === 'string' && { clientSecretRef: o.clientSecretRef }),
    ...(Array.isArray(o.scopes) && { scopes: o.scopes.filter((s): s is string => typeof s === 'string') }),
  };
}

function hasAuthorizationHeader(config: RemoteServerConfig): boolean {
  return Object.keys(config.headers ?? {}).some((h) => /^authorization$/i.test(h));
}

function bearerOf(headers: Record<string, string>): string | undefined {
  const value = Object.entries(headers).find(([name]) => /^authorization$/i.test(name))?.[1];
  return value?.replace(/^Bearer\s+/i, '');
}

/** Display only (never trusted): who the tokens say the user is. */
function whoFrom(tokens: OAuthTokens): string | undefined {
  for (const token of [tokens.id_token, tokens.access_token]) {
    if (!token || token.split('.').length !== 3) continue;
    try {
      const claims = decodeJwt(token);
      const who = claims.email ?? claims.preferred_username ?? claims.sub;
      if (typeof who === 'string' && who) return who;
    } catch {
      // not a JWT: the server's tokens are opaque
    }
  }
  return undefined;
}

function isDeadGrant(error: unknown): boolean {
  const code = (error as { errorCode?: unknown }).errorCode;
  return code === 'invalid_grant' || code === 'invalid_client' || code === 'unauthorized_client';
}

function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(error()), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

function bearer(grant: StoredGrant | undefined): Record<string, string> {
  return grant ? { authorization: `Bearer ${grant.accessToken}` } : {};
}

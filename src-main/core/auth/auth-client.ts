import * as oidc from 'openid-client';
import type { SecretStore } from '../secrets/index.ts';
import { discoverIdp } from './discovery.ts';
import { AuthError, isDeadGrant, toAuthError } from './errors.ts';
import { startLoopbackRedirect } from './loopback-redirect.ts';
import { deleteSession, readSession, sessionMatches, writeSession } from './session.ts';
import type { StoredSession } from './session.ts';
import { userFromClaims } from './user.ts';
import type { SignedInUser } from './user.ts';

export const DEFAULT_SCOPE = 'openid email profile groups offline_access';

export type AuthClientOptions = {
  issuer: string;
  clientId: string;
  /** Where the refresh token and the last ID-token claims live; access tokens never go there. */
  secretStore: SecretStore;
  /** Shows the IdP's sign-in page in the system browser (Electron: shell.openExternal). */
  openBrowser: (url: string) => Promise<void>;
  fetch?: typeof fetch;
  /** Permit an http:// issuer on a loopback address (tests, the demo IdP). Never other http issuers. */
  allowInsecureHttp?: boolean;
  scope?: string;
  /**
   * Resource indicators (RFC 8707) to request at sign-in: the audiences of the upstream servers
   * that get the user's token. Only these can be asked for later without signing in again.
   */
  resources?: readonly string[] | (() => readonly string[] | Promise<readonly string[]>);
  /** Milliseconds since the epoch; injectable for expiry tests. */
  now?: () => number;
  /** How long a browser sign-in may take. Default 5 minutes. */
  loginTimeoutMs?: number;
  /** Seconds per HTTP request to the IdP. Default 30. */
  requestTimeoutSeconds?: number;
  /** Share of an access token's lifetime after which it is renewed ahead of expiry. Default 0.8. */
  refreshAtLifetimeFraction?: number;
};

export type LoginOptions = {
  /** Passed to the IdP as `login_hint` (pre-fills the user name; the test IdP signs that user in). */
  loginHint?: string;
  resources?: readonly string[];
  signal?: AbortSignal;
  timeoutMs?: number;
};

export type DevicePrompt = {
  userCode: string;
  verificationUri: string;
  /** The URI with the code already in it, when the IdP offers one (good for a QR code). */
  verificationUriComplete?: string;
  expiresAt: number;
};

export type DeviceLoginOptions = {
  /** Tell the user where to go and which code to enter. */
  onPrompt: (prompt: DevicePrompt) => void | Promise<void>;
  loginHint?: string;
  resources?: readonly string[];
  signal?: AbortSignal;
};

export type TokenRequest = {
  /** Resource indicator (RFC 8707) of the server the token is for; none = the IdP's own (userinfo) token. */
  resource?: string;
  scope?: string;
};

export type TokenExchangeRequest = { audience?: string; resource?: string; scope?: string };

const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export type SessionEvent =
  | { type: 'signed-in'; user: SignedInUser }
  | { type: 'refreshed'; user: SignedInUser; resource?: string }
  | { type: 'signed-out'; reason: 'logout' | 'session-ended' }
  | { type: 'refresh-failed'; error: AuthError; sessionEnded: boolean };

export type SessionInfo = {
  user: SignedInUser;
  issuer: string;
  clientId: string;
  signedInAt: number;
  refreshedAt: number;
  resources: string[];
  canRefresh: boolean;
  refreshTokenExpiresAt?: number;
  /** Access tokens held in memory right now. */
  accessTokens: { resource?: string; scope?: string; expiresAt: number }[];
};

export type LogoutResult = {
  wasSignedIn: boolean;
  /** False when the IdP could not be told; the local sign-in is gone either way. */
  revoked: boolean;
  error?: AuthError;
};

export type AuthClient = {
  readonly issuer: string;
  readonly clientId: string;
  login(options?: LoginOptions): Promise<SignedInUser>;
  loginWithDeviceCode(options: DeviceLoginOptions): Promise<SignedInUser>;
  getAccessToken(request?: TokenRequest): Promise<string>;
  /** After a 401: a new token, unless another caller already replaced `rejectedToken`. */
  forceRefresh(request?: TokenRequest & { rejectedToken?: string }): Promise<string>;
  /** RFC 8693: the user's IdP access token exchanged at the IdP for one minted for another audience. */
  exchangeToken(request: TokenExchangeRequest): Promise<{ accessToken: string; expiresIn?: number }>;
  logout(): Promise<LogoutResult>;
  currentUser(): Promise<SignedInUser | undefined>;
  sessionInfo(): Promise<SessionInfo | undefined>;
  /** Returns a function that stops listening. */
  onSessionChange(listener: (event: SessionEvent) => void): () => void;
};

type CachedToken = {
  accessToken: string;
  resource?: string;
  scope?: string;
  expiresAt: number;
  refreshAfter: number;
};

export function createAuthClient(options: AuthClientOptions): AuthClient {
  const { issuer, clientId, secretStore: store } = options;
  const now = options.now ?? Date.now;
  const scope = options.scope ?? DEFAULT_SCOPE;
  const refreshFraction = options.refreshAtLifetimeFraction ?? 0.8;
  const listeners = new Set<(event: SessionEvent) => void>();
  const tokens = new Map<string, CachedToken>();
  const inflight = new Map<string, Promise<CachedToken>>();
  let discovered: Promise<oidc.Configuration> | undefined;
  // Refresh grants run one at a time: each rotates the refresh token the next one must use.
  let grantQueue: Promise<unknown> = Promise.resolve();
  // Which sign-in the in-memory tokens belong to; a login or logout elsewhere invalidates them.
  let tokensOf: string | undefined;

  function discover(): Promise<oidc.Configuration> {
    discovered ??= discoverIdp({
      issuer,
      clientId,
      fetch: options.fetch,
      allowInsecureHttp: options.allowInsecureHttp,
      timeoutSeconds: options.requestTimeoutSeconds ?? 30,
    }).catch((error: unknown) => {
      discovered = undefined; // try again next time: the network may be back
      throw error;
    });
    return discovered;
  }

  function emit(event: SessionEvent): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // a broken listener must not break sign-in
      }
    }
  }

  /** The stored sign-in for this IdP and client. Read every time: another process may have changed it. */
  async function loadSession(): Promise<StoredSession | undefined> {
    const session = await readSession(store);
    const matching = session && sessionMatches(session, issuer, clientId) ? session : undefined;
    const identity = matching && `${matching.signedInAt}:${String(matching.claims.sub)}`;
    if (identity !== tokensOf) {
      tokens.clear();
      tokensOf = identity;
    }
    return matching;
  }

  async function requireSession(): Promise<StoredSession> {
    const session = await loadSession();
    if (!session)
      throw new AuthError(
        'not_signed_in',
        `Not signed in to ${issuer}. Sign in with 'gatehouse login' or from the Gatehouse window.`,
      );
    return session;
  }

  function cacheToken(
    key: string,
    request: TokenRequest,
    response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
  ): CachedToken {
    const issuedAt = now();
    // Without expires_in the lifetime is unknown: assume a short one rather than a wrong long one.
    const lifetimeMs = (response.expiresIn() ?? 60) * 1000;
    const token: CachedToken = {
      accessToken: response.access_token,
      ...(request.resource && { resource: request.resource }),
      ...(request.scope && { scope: request.scope }),
      expiresAt: issuedAt + lifetimeMs,
      refreshAfter: issuedAt + lifetimeMs * refreshFraction,
    };
    tokens.set(key, token);
    return token;
  }

  async function adopt(
    response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
    grant: { resources: string[] },
  ): Promise<SignedInUser> {
    const claims = response.claims();
    if (!claims)
      throw new AuthError('idp_error', `${issuer} returned no ID token; Gatehouse needs one to know who signed in.`);
    const at = now();
    const session: StoredSession = {
      version: 1,
      issuer,
      clientId,
      ...(response.refresh_token && { refreshToken: response.refresh_token }),
      ...refreshExpiry(response, at),
      claims: { ...claims },
      resources: grant.resources,
      scope,
      signedInAt: at,
      refreshedAt: at,
    };
    await writeSession(store, session);
    tokens.clear();
    inflight.clear();
    tokensOf = `${session.signedInAt}:${String(claims.sub)}`;
    cacheToken(tokenKey({}), {}, response);
    const user = userFromClaims(session.claims);
    emit({ type: 'signed-in', user });
    return user;
  }

  async function resolveResources(override: readonly string[] | undefined): Promise<string[]> {
    const configured = typeof options.resources === 'function' ? await options.resources() : options.resources;
    return [...new Set(override ?? configured ?? [])];
  }

  async function login(loginOptions: LoginOptions = {}): Promise<SignedInUser> {
    const config = await discover();
    const resources = await resolveResources(loginOptions.resources);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const redirect = await startLoopbackRedirect(state);
    try {
      const params = new URLSearchParams({
        redirect_uri: redirect.redirectUri,
        scope,
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      if (loginOptions.loginHint) params.set('login_hint', loginOptions.loginHint);
      for (const resource of resources) params.append('resource', resource);
      const url = oidc.buildAuthorizationUrl(config, params).href;
      const callbackUrl = await waitForCallback(redirect.callback, options.openBrowser(url), url, {
        timeoutMs: loginOptions.timeoutMs ?? options.loginTimeoutMs ?? 5 * 60_000,
        signal: loginOptions.signal,
      });
      let user: SignedInUser;
      try {
        const response = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: verifier,
          expectedState: state,
          expectedNonce: nonce,
          idTokenExpected: true,
        });
        user = await adopt(response, { resources });
      } catch (error) {
        const failure = toAuthError(error, 'idp_error', 'completing the sign-in', issuer);
        redirect.finish({ ok: false, message: failure.message });
        throw failure;
      }
      redirect.finish({ ok: true, who: user.email ?? user.name ?? user.sub });
      return user;
    } finally {
      redirect.finish({ ok: false, message: 'The sign-in did not complete.' });
      await redirect.close();
    }
  }

  async function loginWithDeviceCode(deviceOptions: DeviceLoginOptions): Promise<SignedInUser> {
    const config = await discover();
    const resources = await resolveResources(deviceOptions.resources);
    const params = new URLSearchParams({ scope });
    if (deviceOptions.loginHint) params.set('login_hint', deviceOptions.loginHint);
    for (const resource of resources) params.append('resource', resource);
    let device: oidc.DeviceAuthorizationResponse;
    try {
      device = await oidc.initiateDeviceAuthorization(config, params);
    } catch (error) {
      throw toAuthError(error, 'idp_error', 'starting a device sign-in', issuer);
    }
    const expiresInMs = device.expires_in * 1000;
    await deviceOptions.onPrompt({
      userCode: device.user_code,
      verificationUri: device.verification_uri,
      ...(device.verification_uri_complete && { verificationUriComplete: device.verification_uri_complete }),
      expiresAt: now() + expiresInMs,
    });
    const expiry = AbortSignal.timeout(expiresInMs);
    const signal = deviceOptions.signal ? AbortSignal.any([deviceOptions.signal, expiry]) : expiry;
    let response;
    try {
      response = await oidc.pollDeviceAuthorizationGrant(config, device, undefined, { signal });
    } catch (error) {
      if (deviceOptions.signal?.aborted)
        throw new AuthError('login_cancelled', 'The device sign-in was cancelled.', { cause: error });
      if (expiry.aborted || (error instanceof oidc.ResponseBodyError && error.error === 'expired_token')) {
        throw new AuthError(
          'device_code_expired',
          `The code ${device.user_code} expired before it was confirmed. Run the sign-in again.`,
          { cause: error },
        );
      }
      throw toAuthError(error, 'idp_error', 'waiting for the device sign-in', issuer);
    }
    return adopt(response, { resources });
  }

  async function getAccessToken(request: TokenRequest = {}): Promise<string> {
    await requireSession();
    const key = tokenKey(request);
    const cached = tokens.get(key);
    if (cached && now() < cached.refreshAfter) return cached.accessToken;
    try {
      return (await refreshOnce(key, request)).accessToken;
    } catch (error) {
      // Renewal ahead of time failed (IdP briefly down): the current token still works for a while.
      const usable = tokens.get(key);
      if (
        error instanceof AuthError &&
        error.code === 'idp_unreachable' &&
        usable &&
        now() < usable.expiresAt - 5_000
      ) {
        return usable.accessToken;
      }
      throw error;
    }
  }

  async function forceRefresh(request: TokenRequest & { rejectedToken?: string } = {}): Promise<string> {
    await requireSession();
    const key = tokenKey(request);
    const cached = tokens.get(key);
    if (
      cached &&
      request.rejectedToken !== undefined &&
      cached.accessToken !== request.rejectedToken &&
      now() < cached.refreshAfter
    ) {
      return cached.accessToken; // someone already replaced the rejected token
    }
    tokens.delete(key);
    return (await refreshOnce(key, request)).accessToken;
  }

  /** Not cached here: the caller (one per server) keeps the exchanged token and shares one exchange. */
  async function exchangeToken(request: TokenExchangeRequest): Promise<{ accessToken: string; expiresIn?: number }> {
    const subjectToken = await getAccessToken();
    const config = await discover();
    const params: Record<string, string> = {
      subject_token: subjectToken,
      subject_token_type: ACCESS_TOKEN_TYPE,
      requested_token_type: ACCESS_TOKEN_TYPE,
    };
    if (request.audience) params.audience = request.audience;
    if (request.resource) params.resource = request.resource;
    if (request.scope) params.scope = request.scope;
    try {
      const response = await oidc.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT, params);
      const expiresIn = response.expiresIn();
      return { accessToken: response.access_token, ...(expiresIn !== undefined && { expiresIn }) };
    } catch (error) {
      const target = request.audience ?? request.resource ?? 'the server';
      throw toAuthError(error, 'idp_error', `exchanging the sign-in token for one for ${target}`, issuer);
    }
  }

  /** Single flight: every caller asking for the same token while a refresh runs gets that refresh's result. */
  function refreshOnce(key: string, request: TokenRequest): Promise<CachedToken> {
    const running = inflight.get(key);
    if (running) return running;
    const run = grantQueue.then(() => refreshGrant(key, request));
    grantQueue = run.catch(() => undefined);
    const shared = run.finally(() => {
      if (inflight.get(key) === shared) inflight.delete(key);
    });
    inflight.set(key, shared);
    return shared;
  }

  async function refreshGrant(key: string, request: TokenRequest): Promise<CachedToken> {
    let session = await requireSession();
    // A refresh queued behind another may find its token already renewed.
    const fresh = tokens.get(key);
    if (fresh && now() < fresh.refreshAfter) return fresh;
    if (request.resource && !session.resources.includes(request.resource)) {
      // oidc-provider consumes the refresh token before it rejects an unknown resource, which would end the session.
      throw new AuthError(
        'resource_not_granted',
        `The sign-in did not include access to ${request.resource}. Sign in again so Gatehouse can ask the IdP for it.`,
      );
    }
    const config = await discover();
    for (let attempt = 0; ; attempt++) {
      const refreshToken = session.refreshToken;
      if (!refreshToken) {
        throw new AuthError(
          'refresh_failed',
          `${issuer} issued no refresh token, so the sign-in cannot be renewed. Sign in again.`,
        );
      }
      const params: Record<string, string> = {};
      if (request.resource) params.resource = request.resource;
      if (request.scope) params.scope = request.scope;
      let response;
      try {
        response = await oidc.refreshTokenGrant(config, refreshToken, params);
      } catch (error) {
        if (isDeadGrant(error)) {
          // Another Gatehouse process may have rotated the token after we read it: use its token once.
          const latest = await loadSession();
          if (attempt === 0 && latest?.refreshToken && latest.refreshToken !== refreshToken) {
            session = latest;
            continue;
          }
          throw await endSession(error);
        }
        const failure = toAuthError(error, 'refresh_failed', 'renewing the access token', issuer);
        emit({ type: 'refresh-failed', error: failure, sessionEnded: false });
        throw failure;
      }
      const latest = await loadSession();
      if (!latest || latest.signedInAt !== session.signedInAt) {
        throw new AuthError('not_signed_in', 'The sign-in changed while a token was being renewed. Try again.');
      }
      const at = now();
      const claims = response.claims();
      const updated: StoredSession = {
        ...latest,
        ...(response.refresh_token && { refreshToken: response.refresh_token }),
        ...refreshExpiry(response, at),
        ...(claims && { claims: { ...claims } }),
        refreshedAt: at,
      };
      // Persist the rotated refresh token before anything uses the new access token.
      await writeSession(store, updated);
      const token = cacheToken(key, request, response);
      emit({
        type: 'refreshed',
        user: userFromClaims(updated.claims),
        ...(request.resource && { resource: request.resource }),
      });
      return token;
    }
  }

  async function endSession(cause: unknown): Promise<AuthError> {
    await deleteSession(store);
    tokens.clear();
    const error = new AuthError(
      'refresh_failed',
      `The sign-in to ${issuer} has ended (revoked or expired). Sign in again.`,
      { cause },
    );
    emit({ type: 'refresh-failed', error, sessionEnded: true });
    emit({ type: 'signed-out', reason: 'session-ended' });
    return error;
  }

  async function logout(): Promise<LogoutResult> {
    const stored = await readSession(store);
    const session = stored && sessionMatches(stored, issuer, clientId) ? stored : undefined;
    const accessTokens = [...tokens.values()].map((t) => t.accessToken);
    // Local state goes first: signing out must stop org access at once, even with the IdP unreachable.
    await deleteSession(store);
    tokens.clear();
    inflight.clear();
    tokensOf = undefined;
    if (stored) emit({ type: 'signed-out', reason: 'logout' });
    if (!session) return { wasSignedIn: stored !== undefined, revoked: false };
    try {
      const config = await discover();
      if (session.refreshToken)
        await oidc.tokenRevocation(config, session.refreshToken, { token_type_hint: 'refresh_token' });
      for (const accessToken of accessTokens) {
        // JWT access tokens cannot be revoked at many IdPs (they expire); revoking the grant covers the rest.
        await oidc.tokenRevocation(config, accessToken, { token_type_hint: 'access_token' }).catch(() => undefined);
      }
      return { wasSignedIn: true, revoked: true };
    } catch (error) {
      return {
        wasSignedIn: true,
        revoked: false,
        error: toAuthError(error, 'idp_error', 'revoking the sign-in', issuer),
      };
    }
  }

  async function currentUser(): Promise<SignedInUser | undefined> {
    const session = await loadSession();
    return session && userFromClaims(session.claims);
  }

  async function sessionInfo(): Promise<SessionInfo | undefined> {
    const session = await loadSession();
    if (!session) return undefined;
    return {
      user: userFromClaims(session.claims),
      issuer: session.issuer,
      clientId: session.clientId,
      signedInAt: session.signedInAt,
      refreshedAt: session.refreshedAt,
      resources: session.resources,
      canRefresh: session.refreshToken !== undefined,
      ...(session.refreshTokenExpiresAt !== undefined && { refreshTokenExpiresAt: session.refreshTokenExpiresAt }),
      accessTokens: [...tokens.values()].map(({ resource, scope: tokenScope, expiresAt }) => ({
        ...(resource && { resource }),
        ...(tokenScope && { scope: tokenScope }),
        expiresAt,
      })),
    };
  }

  return {
    issuer,
    clientId,
    login,
    loginWithDeviceCode,
    getAccessToken,
    forceRefresh,
    exchangeToken,
    logout,
    currentUser,
    sessionInfo,
    onSessionChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function tokenKey(request: TokenRequest): string {
  return `${request.resource ?? ''}\n${request.scope ?? ''}`;
}

/** Keycloak and others say when the refresh token expires; most IdPs do not. */
function refreshExpiry(response: oidc.TokenEndpointResponse, at: number): { refreshTokenExpiresAt?: number } {
  const seconds = response.refresh_expires_in;
  return typeof seconds === 'number' && seconds > 0 ? { refreshTokenExpiresAt: at + seconds * 1000 } : {};
}

/** The callback, unless the time runs out, the caller gives up, or the browser cannot be opened. */
function waitForCallback(
  callback: Promise<URL>,
  browserOpened: Promise<void>,
  url: string,
  { timeoutMs, signal }: { timeoutMs: number; signal: AbortSignal | undefined },
): Promise<URL> {
  let cleanup = () => {};
  return new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new AuthError(
            'login_timeout',
            `The sign-in was not completed within ${Math.round(timeoutMs / 1000)} s. Start it again and finish it in the browser.`,
          ),
        ),
      timeoutMs,
    );
    const onAbort = () =>
      reject(new AuthError('login_cancelled', 'The sign-in was cancelled.', { cause: signal?.reason }));
    cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    browserOpened.catch((error: unknown) =>
      reject(
        new AuthError(
          'browser_failed',
          `Could not open the browser for the sign-in. Open this address yourself: ${url}`,
          { cause: error },
        ),
      ),
    );
    void callback.then(resolve);
  }).finally(() => cleanup());
}

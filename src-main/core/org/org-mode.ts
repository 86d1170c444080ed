import type { ServerConfig } from '../config/index.ts';
import { createAuthClient, type AuthClient, type SignedInUser } from '../auth/index.ts';
import { credentialServer, OrgCredentials, type CredentialServer } from '../credentials/index.ts';
import { buildUpstreamHeaders, resourcesToRequest } from '../identity/index.ts';
import {
  clearPolicyCache,
  createPolicySync,
  decide,
  isPolicyUsable,
  requiresPolicySignature,
  type OrgConfig,
  type PolicyDocument,
  type PolicySync,
  type PolicySyncStatus,
} from '../policy/index.ts';
import type { AccessControl, AccessDecision, ItemKind } from '../router/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import type { HeaderSource } from '../upstream/index.ts';
import { serversFromPolicy } from './policy-servers.ts';
import { signInNeededFor, type SignInNeeded } from './sign-in-needed.ts';

const STORE_WATCH_MS = 2_000;

export type OrgModeDeps = {
  dataDir: string;
  org: OrgConfig;
  secretStore: SecretStore;
  openBrowser: (url: string) => Promise<void>;
  /** The servers the user added by hand; the policy decides whether they may run. */
  personalServers: ServerConfig[];
  /** The user's explicit on/off choices (live). */
  toggles: () => Record<string, boolean>;
  fetch?: typeof fetch;
  /** http:// IdP and policy endpoint on loopback (the demo org, tests). */
  allowInsecureHttp?: boolean;
  pollIntervalMs?: number;
  /** Told every secret value that goes upstream (tokens, shared secrets), so audit records mask it. */
  registerSecret?: (value: string) => void;
  log?: (line: string) => void;
};

export type OrgStatus = {
  orgName?: string;
  issuer: string;
  user: SignedInUser | undefined;
  policy: PolicySyncStatus | undefined;
  /** A policy published since the sign-in added servers whose tokens need a new sign-in (login()). */
  signInNeeded?: SignInNeeded;
};

/**
 * Org mode: sign-in, the synced policy, and the access decisions and identity headers the gateway
 * asks for on every request. It is the gateway's AccessControl; decisions are made per request
 * from the policy in force, so a revocation applies to sessions that are already open.
 */
export class OrgMode implements AccessControl {
  readonly auth: AuthClient;
  /** Org-provided and user-entered upstream credentials, and tokens exchanged per server. */
  readonly credentials: OrgCredentials;
  private readonly deps: OrgModeDeps;
  private sync: PolicySync | undefined;
  private user: SignedInUser | undefined;
  private readonly listeners = new Set<() => void>();
  private policyServerNames = new Set<string>();
  /** The last policy seen, kept after sign-out so its servers stay listed (off, with the reason). */
  private lastPolicy: PolicyDocument | undefined;
  private signingIn = false;
  /** The resources the stored sign-in was granted, cached so that status() stays synchronous. */
  private grantedResources: ReadonlySet<string> = new Set();
  private signingOut: Promise<void> | undefined;
  private watch: NodeJS.Timeout | undefined;

  constructor(deps: OrgModeDeps) {
    this.deps = deps;
    this.auth = createAuthClient({
      issuer: deps.org.issuer,
      clientId: deps.org.clientId,
      secretStore: deps.secretStore,
      openBrowser: deps.openBrowser,
      ...(deps.fetch && { fetch: deps.fetch }),
      ...(deps.allowInsecureHttp && { allowInsecureHttp: true }),
      // The org's scopes replace the default set (Entra ID and Google reject a `groups` scope), as
      // `gatehouse login` does: one sign-in, whichever process makes it.
      ...(deps.org.scopes && { scope: ['openid', ...deps.org.scopes.filter((s) => s !== 'openid')].join(' ') }),
      // Tokens for the policy endpoint and every server that gets the user's token, asked for at sign-in.
      resources: () => this.resourcesForSignIn(),
    });
    this.credentials = new OrgCredentials({
      store: deps.secretStore,
      policyEndpoint: deps.org.policyEndpoint,
      getOrgServerToken: () =>
        this.auth.getAccessToken(deps.org.policyResource ? { resource: deps.org.policyResource } : undefined),
      exchange: (request) => this.auth.exchangeToken(request),
      ...(deps.fetch && { fetch: deps.fetch }),
      ...(deps.registerSecret && { registerSecret: deps.registerSecret }),
      ...(deps.log && { log: deps.log }),
    });
    this.auth.onSessionChange((event) => {
      if (event.type === 'signed-out' || (event.type === 'refresh-failed' && event.sessionEnded)) void this.signedOut();
      if (event.type === 'signed-in') void this.refreshGranted().then((changed) => changed && this.changed());
    });
  }

  private resourcesForSignIn(): string[] {
    const policy = this.sync?.current();
    const forwarding = policy
      ? Object.values(policy.servers).flatMap((s) => ('identity' in s && s.identity ? [s.identity] : []))
      : [];
    return [
      ...new Set([
        ...(this.deps.org.policyResource ? [this.deps.org.policyResource] : []),
        ...resourcesToRequest(forwarding),
      ]),
    ];
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    if (this.signingIn) return; // one change at the end of login(), not a burst of half-states
    // Org secrets follow the policy: fetched again for the user once the policy is in force.
    const policy = this.sync?.current();
    const fetchedAt = this.sync?.status().fetchedAt;
    if (this.user && policy && fetchedAt) this.credentials.policyConfirmed(`${this.user.sub}|${fetchedAt}`, policy);
    for (const listener of this.listeners) listener();
  }

  /**
   * Restores a previous sign-in (no browser) and starts syncing the policy if there is one. A
   * sign-in or sign-out made by another process (`gatehouse login` next to `gatehouse serve`) is
   * picked up within a couple of seconds.
   */
  async start(): Promise<void> {
    this.user = await this.auth.currentUser();
    await this.refreshGranted();
    if (this.user) await this.startSync();
    // Signed out while Gatehouse was not running (`gatehouse logout`): no org secret stays behind.
    else await this.credentials.signedOut().catch(() => {});
    this.watch = setInterval(() => void this.followStore(), STORE_WATCH_MS);
    this.watch.unref();
  }

  private async followStore(): Promise<void> {
    if (this.signingIn) return;
    const stored = await this.auth.currentUser().catch(() => undefined);
    if (stored && stored.sub !== this.user?.sub) {
      this.user = stored;
      await this.refreshGranted();
      await this.startSync();
      this.changed();
    } else if (!stored && this.user) {
      await this.signedOut();
    } else if (this.status().signInNeeded && (await this.refreshGranted())) {
      this.changed(); // signed in again elsewhere (`gatehouse login`)
    }
  }

  /**
   * Signs in. The IdP grants tokens only for the resources asked for at sign-in, and which servers
   * get the user's token is known only from the policy, which needs a sign-in to fetch: so when
   * the policy names resources the first sign-in did not cover, sign in once more for them (the
   * IdP's session makes that second round a redirect, not a form).
   */
  async login(options: { loginHint?: string } = {}): Promise<SignedInUser> {
    this.signingIn = true;
    try {
      this.user = await this.auth.login(options);
      await this.startSync();
      const granted = new Set((await this.auth.sessionInfo())?.resources ?? []);
      const wanted = this.resourcesForSignIn();
      if (wanted.some((r) => !granted.has(r))) {
        this.user = await this.auth.login({ ...options, resources: wanted });
      }
      await this.refreshGranted();
    } finally {
      this.signingIn = false;
    }
    this.changed();
    return this.user;
  }

  async logout(): Promise<void> {
    await this.auth.logout();
    await this.signedOut();
  }

  /**
   * logout() and the session's own signed-out event both arrive here: the second caller waits for
   * the same clean-up, so logout() returns only when credentials and the policy cache are gone.
   */
  private signedOut(): Promise<void> {
    if (!this.user && !this.sync) return this.signingOut ?? Promise.resolve();
    this.user = undefined;
    const sync = this.sync;
    this.sync = undefined;
    this.signingOut = this.forgetUser(sync).finally(() => {
      this.signingOut = undefined;
    });
    return this.signingOut;
  }

  private async forgetUser(sync: PolicySync | undefined): Promise<void> {
    await sync?.stop();
    // Org secrets and what the user entered for org servers leave with the user.
    await this.credentials
      .signedOut()
      .catch((error: Error) => this.deps.log?.(`org mode: could not delete credentials: ${error.message}`));
    // The next user of this laptop must not start from this user's policy.
    await clearPolicyCache(this.deps.dataDir).catch(() => {});
    // Org servers stop at once: nothing runs for a user who is not signed in.
    this.changed();
  }

  /** Re-reads what the stored sign-in was granted; true when that changed. */
  private async refreshGranted(): Promise<boolean> {
    const granted = new Set((await this.auth.sessionInfo().catch(() => undefined))?.resources ?? []);
    const changed = [...granted].sort().join('\n') !== [...this.grantedResources].sort().join('\n');
    this.grantedResources = granted;
    return changed;
  }

  private async startSync(): Promise<void> {
    if (this.sync) return;
    const { org } = this.deps;
    this.sync = createPolicySync({
      endpoint: org.policyEndpoint,
      getAccessToken: () => this.auth.getAccessToken(org.policyResource ? { resource: org.policyResource } : undefined),
      ...(org.signingKeys && { signingKeys: org.signingKeys as never }),
      requireSignature: requiresPolicySignature(org),
      cacheDir: this.deps.dataDir,
      ...(this.deps.fetch && { fetch: this.deps.fetch }),
      ...(this.deps.pollIntervalMs && { pollIntervalMs: this.deps.pollIntervalMs }),
      onChange: () => this.changed(),
      onStatus: () => this.changed(),
      // Every confirmation (a poll, a push after IT changed a secret) fetches the org secrets again.
      onConfirmed: (policy) => {
        if (this.user && !this.signingIn) this.credentials.policyConfirmed(`${this.user.sub}|${Date.now()}`, policy);
      },
      ...(this.deps.log && {
        logger: {
          info: (m: string) => this.deps.log!(`policy: ${m}`),
          warn: (m: string) => this.deps.log!(`policy: ${m}`),
        },
      }),
    });
    await this.sync.start();
  }

  status(): OrgStatus {
    return {
      ...(this.deps.org.orgName && { orgName: this.deps.org.orgName }),
      issuer: this.deps.org.issuer,
      user: this.user,
      policy: this.sync?.status(),
      ...this.signInNeeded(),
    };
  }

  private signInNeeded(): { signInNeeded?: SignInNeeded } {
    // During login() the second round is already on its way: no notice for it.
    if (!this.user || this.signingIn) return {};
    const signInNeeded = signInNeededFor({
      policy: this.sync?.current(),
      claims: this.user.claims,
      toggles: this.deps.toggles(),
      granted: this.grantedResources,
    });
    return signInNeeded ? { signInNeeded } : {};
  }

  /** The policy in force (possibly stale), for the window's explanations. */
  currentPolicy(): PolicyDocument | undefined {
    return this.sync?.current();
  }

  currentUser(): SignedInUser | undefined {
    return this.user;
  }

  /** The policy that may be enforced now, or why there is none. */
  private enforceable(): { policy: PolicyDocument } | { reason: string } {
    if (!this.user)
      return { reason: `Sign in to ${this.deps.org.orgName ?? 'your organisation'} in Gatehouse to use org servers.` };
    const policy = this.sync?.current();
    const status = this.sync?.status();
    if (!policy || !status) return { reason: 'Gatehouse has no org policy yet; it retries in the background.' };
    if (!isPolicyUsable(status)) {
      return {
        reason: `The org policy could not be confirmed for ${Math.round((status.ageSeconds ?? 0) / 60)} min (limit ${Math.round((status.staleAfterSeconds ?? 0) / 60)} min), so org servers are off until Gatehouse reaches the policy server again${status.lastError ? ` (last error: ${status.lastError})` : ''}.`,
      };
    }
    return { policy };
  }

  /** Every server the gateway should know, each enabled only where the policy and the user allow it. */
  servers(): ServerConfig[] {
    const policy = this.sync?.current() ?? this.lastPolicy;
    this.lastPolicy = policy;
    const orgServers = policy ? serversFromPolicy(policy) : [];
    this.policyServerNames = new Set(orgServers.map((s) => s.name));
    const personal = this.deps.personalServers.filter((s) => !this.policyServerNames.has(s.name));
    const choices = this.deps.toggles();
    return [...orgServers, ...personal].map((s) => {
      // decide() applies the user's choice to org servers (within their mode); a personal server
      // is on by the user's choice, else by its own config.
      const userOn = this.policyServerNames.has(s.name) || (choices[s.name] ?? !s.disabled);
      return { ...s, disabled: !userOn || !this.server(s.name).allow };
    });
  }

  server(server: string): AccessDecision {
    return this.decision(server, 'server', undefined);
  }

  item(server: string, kind: ItemKind, name: string): AccessDecision {
    return this.decision(server, kind, name);
  }

  private decision(server: string, kind: 'server' | ItemKind, name: string | undefined): AccessDecision {
    const personal = !this.policyServerNames.has(server);
    const state = this.enforceable();
    if (!('policy' in state)) {
      // Before sign-in (or with no policy) the user's own servers work as in personal mode; org servers do not.
      return personal ? { allow: true } : { allow: false, reason: state.reason };
    }
    const decision = decide({
      policy: state.policy,
      claims: this.user?.claims ?? {},
      toggles: this.deps.toggles(),
      server,
      kind,
      ...(name !== undefined && { name }),
      personal,
    });
    if (decision.allow) return { allow: true };
    const contact = decision.contact ? ` Ask ${decision.contact}.` : '';
    return {
      allow: false,
      reason: `${decision.reason}${contact && !decision.reason.includes(decision.contact!) ? contact : ''}`,
      ...(decision.rule && { rule: decision.rule.id ?? `rule #${decision.rule.index + 1}` }),
    };
  }

  /**
   * Identity and credential headers for one remote server, computed per request (tokens are cached
   * by the auth client and the credentials). A missing credential stops the call with what to do.
   */
  headersFor(server: ServerConfig): HeaderSource {
    return async () => {
      const policy = this.sync?.current();
      const entry = policy?.servers[server.name];
      const forwarding = entry && 'identity' in entry ? entry.identity : undefined;
      const credentials = await this.credentials.upstream.headersFor(this.credentialServer(server));
      if (!forwarding) return credentials;
      const headers = await buildUpstreamHeaders({
        user: this.user,
        forwarding,
        getAccessToken: (request) => this.auth.getAccessToken(request),
        // Org-provided secrets (shared secret) are looked up in the secret store by reference.
        ...(forwarding.sharedSecret && {
          sharedSecret: await this.deps.secretStore.get(`org-secret:${forwarding.sharedSecret.secretRef}`),
        }),
      });
      for (const [name, value] of Object.entries(headers)) {
        if (/^authorization$/i.test(name)) this.deps.registerSecret?.(value.replace(/^Bearer\s+/i, ''));
        else if (name === forwarding.sharedSecret?.header) this.deps.registerSecret?.(value);
      }
      // RFC 8693: the user's IdP token exchanged for one minted for this server (registered as a secret).
      if (forwarding.tokenExchange) {
        headers.Authorization = `Bearer ${await this.credentials.upstream.exchangedToken(forwarding.tokenExchange)}`;
      }
      return { ...credentials, ...headers };
    };
  }

  /** Secret environment variables for a stdio server, looked up each time it starts. */
  secretEnvFor(server: ServerConfig): () => Promise<Record<string, string>> {
    return () => this.credentials.upstream.envFor(this.credentialServer(server));
  }

  /** A server as the credentials see it: an org server with its policy entry, or the user's own. */
  credentialServer(server: Pick<ServerConfig, 'name' | 'transport'>): CredentialServer {
    const entry = this.policyServerNames.has(server.name) ? this.sync?.current()?.servers[server.name] : undefined;
    return credentialServer(server.name, server.transport, entry);
  }

  async close(): Promise<void> {
    clearInterval(this.watch);
    await this.sync?.stop();
  }
}

import type { PolicyServer } from '../policy/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import { CredentialError } from './errors.ts';
import type { OrgSecretSync } from './org-secrets.ts';
import { policyRequirements, type CredentialRequirement } from './requirements.ts';
import { orgSecretKey } from './store-keys.ts';
import { ExchangedTokens, type ExchangedToken, type TokenExchangeRequest } from './token-exchange.ts';
import { UserCredentialStore } from './user-credentials.ts';

// RFC 9110 token characters and POSIX-ish variable names: what the policy schema allows too.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Headers Gatehouse or the HTTP stack own; a user-entered value must not replace them.
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'accept', 'cookie', 'proxy-authorization']);
const MAX_VALUE_LENGTH = 16_384;

/** A server as the credentials see it: its name, how it is reached, and its policy entry (absent: the user's own). */
export type CredentialServer = { name: string; transport: 'stdio' | 'http' | 'sse'; policy?: PolicyServer };

/** What the window shows: which credential a server needs and whether it is there; never the value. */
export type CredentialStatus = Omit<CredentialRequirement, 'prefix'> & { set: boolean };

export type UpstreamCredentialsOptions = {
  store: SecretStore;
  /** Org-provided secrets; absent in personal mode (then org credentials are reported missing). */
  orgSecrets?: OrgSecretSync;
  /** RFC 8693 exchange at the IdP, for servers whose policy asks for `identity.tokenExchange`. */
  exchange?: (request: TokenExchangeRequest) => Promise<ExchangedToken>;
  /** Told every value that goes upstream, so audit records mask it. */
  registerSecret?: (value: string) => void;
};

/**
 * The static credentials each upstream server gets (org-provided or user-entered), resolved from
 * the secret store at the moment they are sent: a header on every request to a remote server, an
 * environment variable when a stdio server starts. Values never enter a ServerConfig, so they
 * cannot reach the list cache, the config hash, the API or a log.
 */
export class UpstreamCredentials {
  readonly user: UserCredentialStore;
  private readonly options: UpstreamCredentialsOptions;
  private readonly exchanged: ExchangedTokens | undefined;

  constructor(options: UpstreamCredentialsOptions) {
    this.options = options;
    this.user = new UserCredentialStore(options.store);
    this.exchanged = options.exchange && new ExchangedTokens({ exchange: options.exchange });
  }

  /** The credentials a server needs: the policy's list for org servers, what the user set for their own. */
  async requirements(server: CredentialServer): Promise<CredentialRequirement[]> {
    if (server.policy) return policyRequirements(server.name, server.policy);
    const target = server.transport === 'stdio' ? ('env' as const) : ('header' as const);
    return (await this.user.entries())
      .filter((e) => e.server === server.name)
      .map((e) => ({ server: server.name, target, name: e.name, source: 'user' as const, label: e.name }));
  }

  /** Headers for one request to a remote server; throws `credential_missing` naming what to enter. */
  async headersFor(server: CredentialServer): Promise<Record<string, string>> {
    const headers: Record<string, string> = {};
    for (const [requirement, value] of await this.resolve(server)) {
      headers[requirement.name] = `${requirement.prefix ?? ''}${value}`;
    }
    return headers;
  }

  /** Environment variables for starting a stdio server; throws `credential_missing` naming what to enter. */
  async envFor(server: CredentialServer): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const [requirement, value] of await this.resolve(server)) env[requirement.name] = value;
    return env;
  }

  /** A token minted for this server by the IdP (RFC 8693), cached until shortly before it expires. */
  async exchangedToken(request: TokenExchangeRequest): Promise<string> {
    if (!this.exchanged) {
      throw new CredentialError('token_exchange_failed', 'Token exchange needs a sign-in to your organisation.');
    }
    const token = await this.exchanged.get(request);
    this.options.registerSecret?.(token);
    return token;
  }

  forgetExchangedTokens(): void {
    this.exchanged?.clear();
  }

  async status(servers: readonly CredentialServer[]): Promise<CredentialStatus[]> {
    const statuses: CredentialStatus[] = [];
    for (const server of servers) {
      for (const { prefix: _prefix, ...requirement } of await this.requirements(server)) {
        statuses.push({ ...requirement, set: (await this.valueOf(requirement)) !== undefined });
      }
    }
    return statuses;
  }

  /**
   * Stores a value the user entered. On an org server only the credentials the policy marks
   * `from: "user"` can be set; on the user's own server any header (remote) or variable (stdio).
   */
  async set(server: CredentialServer, name: string, value: string): Promise<void> {
    this.checkSettable(server, name);
    if (value.length === 0 || value.length > MAX_VALUE_LENGTH || /[\r\n\0]/.test(value)) {
      throw new CredentialError(
        'unknown_credential',
        `The value for ${name} must be 1 to ${MAX_VALUE_LENGTH} characters on one line.`,
      );
    }
    await this.user.set(server.name, name, value, { org: server.policy !== undefined });
  }

  async clear(server: CredentialServer, name: string): Promise<void> {
    this.checkSettable(server, name);
    await this.user.clear(server.name, name);
  }

  private checkSettable(server: CredentialServer, name: string): void {
    if (server.policy) {
      const wanted = policyRequirements(server.name, server.policy).find((r) => r.name === name);
      if (!wanted || wanted.source !== 'user') {
        throw new CredentialError(
          'unknown_credential',
          wanted
            ? `${name} on server '${server.name}' is provided by your organisation; it cannot be entered here.`
            : `Server '${server.name}' has no credential ${name} to enter (the org policy lists what it needs).`,
        );
      }
      return;
    }
    const valid =
      server.transport === 'stdio'
        ? ENV_NAME.test(name)
        : HEADER_NAME.test(name) && !RESERVED_HEADERS.has(name.toLowerCase());
    if (!valid) {
      throw new CredentialError(
        'unknown_credential',
        server.transport === 'stdio'
          ? `${name} is not an environment variable name (letters, digits and _, not starting with a digit).`
          : `${name} is not a header Gatehouse can set for you (use a name such as X-Api-Key or Authorization).`,
      );
    }
  }

  private async valueOf(requirement: CredentialRequirement): Promise<string | undefined> {
    if (requirement.source === 'user') return this.user.get(requirement.server, requirement.name);
    if (requirement.secretRef === undefined) return undefined;
    await this.options.orgSecrets?.settled();
    return this.options.store.get(orgSecretKey(requirement.secretRef));
  }

  private async resolve(server: CredentialServer): Promise<[CredentialRequirement, string][]> {
    const resolved: [CredentialRequirement, string][] = [];
    const missing: CredentialRequirement[] = [];
    for (const requirement of await this.requirements(server)) {
      const value = await this.valueOf(requirement);
      if (value === undefined) missing.push(requirement);
      else resolved.push([requirement, value]);
    }
    if (missing.length > 0) throw missingError(server.name, missing);
    for (const [, value] of resolved) this.options.registerSecret?.(value);
    return resolved;
  }
}

function missingError(server: string, missing: CredentialRequirement[]): CredentialError {
  const byUser = missing.filter((m) => m.source === 'user');
  if (byUser.length > 0) {
    const what = byUser.map((m) => m.label).join(' and ');
    return new CredentialError(
      'credential_missing',
      `Server '${server}' needs your ${what}. Open Gatehouse and enter it under Servers → Credentials, then try again.`,
    );
  }
  const refs = missing.map((m) => `'${m.secretRef ?? m.name}'`).join(', ');
  return new CredentialError(
    'credential_missing',
    `Server '${server}' needs the org secret ${refs}, which your organisation has not delivered to this laptop. Sign in again in Gatehouse; if it stays missing, ask your IT team.`,
  );
}

import type { PolicyDocument, PolicyServer } from '../policy/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import { deleteOrgSecrets, OrgSecretSync, orgSecretsUrl } from './org-secrets.ts';
import { secretRefsOf } from './requirements.ts';
import type { ExchangedToken, TokenExchangeRequest } from './token-exchange.ts';
import { ServerCredentials } from './server-credentials.ts';
import { UpstreamCredentials, type CredentialServer } from './upstream-credentials.ts';
import { UserCredentialStore } from './user-credentials.ts';

export type OrgCredentialsOptions = {
  store: SecretStore;
  policyEndpoint: string;
  /** The user's token for the org server (the policy endpoint's resource). */
  getOrgServerToken: () => Promise<string>;
  exchange: (request: TokenExchangeRequest) => Promise<ExchangedToken>;
  fetch?: typeof fetch;
  registerSecret?: (value: string) => void;
  log?: (line: string) => void;
};

/**
 * Credentials in org mode: keeps the org-provided secrets in step with the policy (fetched each
 * time the policy is fetched or confirmed, deleted at sign-out), holds the user-entered ones, and
 * says which servers must restart when a value they use changed.
 */
export class OrgCredentials extends ServerCredentials {
  private readonly orgSecrets: OrgSecretSync;
  private readonly options: OrgCredentialsOptions;
  private seen = '';

  constructor(options: OrgCredentialsOptions) {
    const orgSecrets = new OrgSecretSync({
      store: options.store,
      url: orgSecretsUrl(options.policyEndpoint),
      getAccessToken: options.getOrgServerToken,
      ...(options.fetch && { fetch: options.fetch }),
      ...(options.registerSecret && { registerSecret: options.registerSecret }),
      ...(options.log && { log: options.log }),
    });
    super(
      new UpstreamCredentials({
        store: options.store,
        orgSecrets,
        exchange: options.exchange,
        ...(options.registerSecret && { registerSecret: options.registerSecret }),
      }),
    );
    this.orgSecrets = orgSecrets;
    this.options = options;
  }

  /**
   * The policy in force was fetched or confirmed (`confirmation` differs each time): fetch the org
   * secrets again. The org server sends only what this user may have, so a revoked server's
   * secrets go away here. Starts at once (a server start waits for it), never throws.
   */
  policyConfirmed(confirmation: string, policy: PolicyDocument): void {
    if (confirmation === this.seen) return;
    this.seen = confirmation;
    // A policy that names no org secret needs no delivery (and an org server need not offer one).
    if (!Object.values(policy.servers).some((server) => secretRefsOf(server).length > 0)) {
      this.orgSecrets.clear().then(
        (gone) => gone.length > 0 && this.emit(Object.keys(policy.servers)),
        () => {},
      );
      return;
    }
    this.orgSecrets.refresh().then(
      ({ changed }) => {
        if (changed.length === 0) return;
        const refs = new Set(changed);
        this.emit(
          Object.entries(policy.servers)
            .filter(([, server]) => secretRefsOf(server).some((ref) => refs.has(ref)))
            .map(([name]) => name),
        );
      },
      (error: Error) => this.options.log?.(`org secrets: ${error.message}`),
    );
  }

  /** Sign-out: org secrets, the user's values for org servers and exchanged tokens are deleted. */
  async signedOut(): Promise<void> {
    this.seen = '';
    this.upstream.forgetExchangedTokens();
    await this.orgSecrets.clear();
    // Through this process's own store of user values, whose in-memory index must follow.
    this.emit(await this.upstream.user.clearOrgEntries());
  }
}

/**
 * Deletes what belongs to the org sign-in: every org secret and every value the user entered for
 * an org server. For `gatehouse logout` too, which runs without a gateway. Returns the servers of
 * the user-entered values that were deleted.
 */
export async function forgetOrgCredentials(store: SecretStore): Promise<string[]> {
  await deleteOrgSecrets(store);
  return new UserCredentialStore(store).clearOrgEntries();
}

/** A server as the credentials see it, from the gateway's config and the policy entry (if any). */
export function credentialServer(
  name: string,
  transport: 'stdio' | 'http' | 'sse',
  policy: PolicyServer | undefined,
): CredentialServer {
  return { name, transport, ...(policy && { policy }) };
}

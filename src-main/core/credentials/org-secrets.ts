import type { SecretStore } from '../secrets/index.ts';
import { CredentialError } from './errors.ts';
import { ORG_SECRET_INDEX, orgSecretKey } from './store-keys.ts';

const REQUEST_TIMEOUT_MS = 15_000;

export type OrgSecretSyncOptions = {
  store: SecretStore;
  /** The org's secret delivery endpoint (`<policy endpoint>/secrets` on the reference org server). */
  url: string;
  /** The user's access token for the org server (the policy endpoint's resource). */
  getAccessToken: () => Promise<string>;
  fetch?: typeof fetch;
  /** Told every delivered value, so audit records mask it. */
  registerSecret?: (value: string) => void;
  /** Messages about the delivery; they never contain a secret value. */
  log?: (line: string) => void;
};

/** Which secret references were added, changed or removed by a refresh. */
export type OrgSecretChange = { changed: string[] };

/** Where the reference org server delivers a user's secrets: next to the policy it belongs to. */
export function orgSecretsUrl(policyEndpoint: string): string {
  const url = new URL(policyEndpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/secrets`;
  url.search = '';
  return url.href;
}

/**
 * Brings the org-provided secrets this user may have from the org server into the secret store,
 * and only there: never into the policy cache or a log line. The server sends only the secrets of
 * servers the policy allows the user, so a secret that stops coming (access revoked) is deleted.
 */
export class OrgSecretSync {
  private readonly options: OrgSecretSyncOptions;
  private running: Promise<OrgSecretChange> | undefined;
  private again = false;

  constructor(options: OrgSecretSyncOptions) {
    this.options = options;
  }

  /**
   * Fetches and stores the user's secrets. Single flight: a call while one runs schedules one more
   * run after it (the policy may have changed in between) and shares its result.
   */
  refresh(): Promise<OrgSecretChange> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = (async () => {
      const changed = new Set<string>();
      do {
        this.again = false;
        for (const ref of await this.fetchAndStore()) changed.add(ref);
      } while (this.again);
      return { changed: [...changed] };
    })().finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  /** Resolves when no refresh is running (failed or not), so a server start can wait for its secrets. */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  async get(ref: string): Promise<string | undefined> {
    return this.options.store.get(orgSecretKey(ref));
  }

  /** Deletes every org secret on this laptop; returns the references that were there. */
  async clear(): Promise<string[]> {
    await this.settled();
    return deleteOrgSecrets(this.options.store);
  }

  private async fetchAndStore(): Promise<string[]> {
    const delivered = await this.fetchSecrets();
    const { store } = this.options;
    const previous = await this.storedRefs();
    const changed: string[] = [];
    // The index is written first, so a crash in between leaves nothing the index does not name.
    const index = [...new Set([...previous, ...Object.keys(delivered)])];
    await store.set(ORG_SECRET_INDEX, JSON.stringify(index));
    for (const [ref, value] of Object.entries(delivered)) {
      this.options.registerSecret?.(value);
      if ((await store.get(orgSecretKey(ref))) === value) continue;
      await store.set(orgSecretKey(ref), value);
      changed.push(ref);
    }
    for (const ref of previous) {
      if (ref in delivered) continue;
      await store.delete(orgSecretKey(ref));
      changed.push(ref);
    }
    await store.set(ORG_SECRET_INDEX, JSON.stringify(Object.keys(delivered)));
    if (changed.length > 0) {
      this.options.log?.(`org secrets: ${changed.length} updated (${Object.keys(delivered).length} in use)`);
    }
    return changed;
  }

  private async fetchSecrets(): Promise<Record<string, string>> {
    const { url } = this.options;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        headers: { authorization: `Bearer ${await this.options.getAccessToken()}`, accept: 'application/json' },
        cache: 'no-store',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (cause) {
      throw new CredentialError(
        'org_secrets_unavailable',
        `Could not fetch the org's secrets from ${url}: ${(cause as Error).message}. Gatehouse tries again with the next policy update.`,
        { cause },
      );
    }
    // An org server without secret delivery: the org provides none.
    if (response.status === 404) return {};
    if (!response.ok) {
      throw new CredentialError(
        'org_secrets_unavailable',
        `The org server refused to deliver secrets (HTTP ${response.status} from ${url}). Gatehouse tries again with the next policy update.`,
      );
    }
    const body = (await response.json().catch(() => undefined)) as { secrets?: unknown } | undefined;
    const secrets = body?.secrets;
    if (!secrets || typeof secrets !== 'object' || Array.isArray(secrets)) {
      throw new CredentialError('org_secrets_unavailable', `${url} did not answer with {"secrets": {...}}.`);
    }
    return Object.fromEntries(
      Object.entries(secrets).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
  }

  private storedRefs(): Promise<string[]> {
    return storedOrgSecretRefs(this.options.store);
  }
}

/** Deletes every org secret the index names, and the index; returns the references. */
export async function deleteOrgSecrets(store: SecretStore): Promise<string[]> {
  const refs = await storedOrgSecretRefs(store);
  for (const ref of refs) await store.delete(orgSecretKey(ref));
  await store.delete(ORG_SECRET_INDEX);
  return refs;
}

async function storedOrgSecretRefs(store: SecretStore): Promise<string[]> {
  const text = await store.get(ORG_SECRET_INDEX);
  if (!text) return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? parsed.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}

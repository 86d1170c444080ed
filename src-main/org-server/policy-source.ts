import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  claimMatchSchema,
  claimNamesSchema,
  signPolicy,
  subjectFromClaims,
  subjectMatches,
  validatePolicy,
} from '../core/policy/index.ts';
import type { ClaimMatch, ClaimNames, PolicyDocument, PolicyIssue, UserClaims } from '../core/policy/index.ts';
import { OrgServerError } from './errors.ts';
import type { PolicySigningKey } from './signing-key.ts';

/**
 * The policy file the server serves, kept ready to send: validated, serialised, signed once, with
 * its ETag. The file is either one policy document (every user gets it; the laptop's decide()
 * applies the rules) or a variants file that picks a whole document per user from the token's
 * claims (for orgs that do not want everyone to see every server's URL).
 */
type ServedPolicy = {
  body: string;
  etag: string;
  contentType: string;
  policyVersion: string;
  payloadHash: string;
  /** The parsed document, for decisions the server makes itself (which secrets a user gets). */
  policy: PolicyDocument;
};

// Prepared documents by payload hash: an unchanged document keeps its signature and ETag across
// reloads (signatures such as ES256 differ on every signing), so clients get 304s and no push.
type Prepared = Map<string, ServedPolicy>;

const variantsFileSchema = z.strictObject({
  $schema: z.string().optional(),
  claimNames: claimNamesSchema.optional(),
  variants: z.array(z.strictObject({ when: claimMatchSchema, policy: z.unknown() })),
  default: z.unknown(),
});

type Loaded = {
  variants: { when: ClaimMatch; served: ServedPolicy }[];
  fallback: ServedPolicy;
  claimNames: ClaimNames | undefined;
};

export type PolicySource = {
  /** The document for a user with these (access token) claims. */
  select(claims: UserClaims): ServedPolicy;
  /** Re-reads the file; keeps the previous content and throws when the new one is invalid. Returns whether it changed. */
  reload(): Promise<boolean>;
  /** Calls `onChange` after the file changed on disk and its new content is valid. */
  watch(onChange: () => void, onError: (error: Error) => void): void;
  close(): void;
};

export async function createPolicySource(file: string, signingKey?: PolicySigningKey): Promise<PolicySource> {
  let loaded = await load(file, signingKey, new Map());
  let watcher: fs.FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;

  async function reload(): Promise<boolean> {
    const previous: Prepared = new Map(
      [...loaded.variants.map((v) => v.served), loaded.fallback].map((p) => [p.payloadHash, p]),
    );
    const next = await load(file, signingKey, previous);
    const changed = fingerprint(next) !== fingerprint(loaded);
    loaded = next;
    return changed;
  }

  return {
    select(claims) {
      const subject = subjectFromClaims(claims, loaded.claimNames);
      return loaded.variants.find((v) => subjectMatches(v.when, subject))?.served ?? loaded.fallback;
    },
    reload,
    watch(onChange, onError) {
      // Watch the folder, not the file: editors and `mv` replace the file, which ends a file watch.
      watcher = fs.watch(path.dirname(path.resolve(file)), (_event, name) => {
        if (name !== null && name !== path.basename(file)) return;
        clearTimeout(debounce);
        // Saves arrive as several events (truncate, write, rename); act once they settle.
        debounce = setTimeout(() => {
          reload().then(
            (changed) => changed && onChange(),
            (error: unknown) => onError(error instanceof Error ? error : new Error(String(error))),
          );
        }, 50);
      });
      watcher.on('error', (error) => onError(error));
    },
    close() {
      clearTimeout(debounce);
      watcher?.close();
    },
  };
}

async function load(file: string, signingKey: PolicySigningKey | undefined, previous: Prepared): Promise<Loaded> {
  let json: unknown;
  try {
    json = JSON.parse(await fs.promises.readFile(file, 'utf8'));
  } catch (cause) {
    throw new OrgServerError('policy_unreadable', `cannot read the policy file ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const isVariants = json !== null && typeof json === 'object' && 'variants' in json;
  if (!isVariants) {
    const served = await prepare(json, file, '$', signingKey, previous);
    return { variants: [], fallback: served, claimNames: undefined };
  }
  const parsed = variantsFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `$.${i.path.join('.')}: ${i.message}`);
    throw new OrgServerError('policy_invalid', `${file} is not a valid variants file: ${problems.join('; ')}`);
  }
  const variants = await Promise.all(
    parsed.data.variants.map(async (v, i) => ({
      when: v.when,
      served: await prepare(v.policy, file, `$.variants[${i}].policy`, signingKey, previous),
    })),
  );
  return {
    variants,
    fallback: await prepare(parsed.data.default, file, '$.default', signingKey, previous),
    claimNames: parsed.data.claimNames,
  };
}

async function prepare(
  document: unknown,
  file: string,
  at: string,
  signingKey: PolicySigningKey | undefined,
  previous: Prepared,
): Promise<ServedPolicy> {
  const result = validatePolicy(document);
  if (!result.ok) {
    throw new OrgServerError('policy_invalid', `${file} has an invalid policy: ${describeIssues(result.errors, at)}`);
  }
  // Served exactly as written (minus whitespace): the laptop validates and hashes these bytes.
  const payload = JSON.stringify(document);
  const payloadHash = createHash('sha256').update(payload).digest('hex');
  const reused = previous.get(payloadHash);
  if (reused) return reused;
  const body = signingKey
    ? await signPolicy(payload, signingKey.key, { alg: signingKey.alg, kid: signingKey.kid })
    : payload;
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
  return {
    body,
    etag,
    contentType: signingKey ? 'application/jose' : 'application/json; charset=utf-8',
    policyVersion: result.policy.policyVersion,
    payloadHash,
    policy: result.policy,
  };
}

function describeIssues(issues: PolicyIssue[], at: string): string {
  return issues.map((i) => `${at}${i.path.slice(1)}: ${i.message}`).join('; ');
}

function fingerprint(loaded: Loaded): string {
  return [
    ...loaded.variants.map((v) => v.served.etag + JSON.stringify(v.when)),
    loaded.fallback.etag,
    JSON.stringify(loaded.claimNames),
  ].join('|');
}

import fs from 'node:fs';
import path from 'node:path';
import { secretRefsOf } from '../core/credentials/index.ts';
import { decide, type PolicyDocument, type UserClaims } from '../core/policy/index.ts';
import { OrgServerError } from './errors.ts';

/**
 * The org's secrets file: `{ "<secretRef>": "<value>", … }`, one entry per secret the policy
 * names by `secretRef` (credentials and identity.sharedSecret). Kept outside the policy so the
 * policy can be shown, cached and logged without leaking anything. Read on every request: it is
 * small, and a rotated value is served at once.
 */
export async function readSecretsFile(file: string): Promise<Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.promises.readFile(file, 'utf8'));
  } catch (cause) {
    // The message names the file, never its content.
    throw new OrgServerError('secrets_unreadable', `cannot read the secrets file ${file}`, { cause });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new OrgServerError('secrets_unreadable', `${file} must be a JSON object of secret name → value`);
  }
  return Object.fromEntries(
    Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/**
 * The secrets one user may have: those of the servers the policy allows them (whatever their own
 * on/off switch says, so turning a default-off server on needs no new delivery). A secret of a
 * server the user may not use is never sent, so revoking access also takes the secret away.
 */
export function secretsForUser(
  policy: PolicyDocument,
  claims: UserClaims,
  secrets: Readonly<Record<string, string>>,
): Record<string, string> {
  const toggles = Object.fromEntries(Object.keys(policy.servers).map((id) => [id, true]));
  const delivered: Record<string, string> = {};
  for (const [id, server] of Object.entries(policy.servers)) {
    if (!decide({ policy, claims, toggles, server: id, kind: 'server' }).allow) continue;
    for (const ref of secretRefsOf(server)) {
      const value = secrets[ref];
      if (value !== undefined) delivered[ref] = value;
    }
  }
  return delivered;
}

/** Calls `onChange` when the secrets file changes, so laptops can be told to fetch again. */
export function watchSecretsFile(file: string, onChange: () => void): () => void {
  let debounce: NodeJS.Timeout | undefined;
  const watcher = fs.watch(path.dirname(path.resolve(file)), (_event, name) => {
    if (name !== null && name !== path.basename(file)) return;
    clearTimeout(debounce);
    debounce = setTimeout(onChange, 50);
  });
  watcher.on('error', () => {});
  return () => {
    clearTimeout(debounce);
    watcher.close();
  };
}

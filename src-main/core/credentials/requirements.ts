import type { PolicyServer } from '../policy/index.ts';

/** One secret a server needs, and where its value comes from. Never carries the value itself. */
export type CredentialRequirement = {
  server: string;
  /** A remote server gets it as a header on every request, a stdio server as an environment variable at start. */
  target: 'header' | 'env';
  /** The header or environment variable name. */
  name: string;
  source: 'org' | 'user';
  /** For `org`: the secret's name in the org's secret delivery. */
  secretRef?: string;
  /** What the window calls it ("Linear API key"). */
  label: string;
  /** Text put before the value in a header, e.g. "Bearer ". */
  prefix?: string;
};

/** What the policy says a server needs: org-provided secrets by reference and user-entered ones by label. */
export function policyRequirements(server: string, entry: PolicyServer | undefined): CredentialRequirement[] {
  if (!entry?.credentials) return [];
  if ('command' in entry) {
    return (entry.credentials ?? []).map((c) => ({
      server,
      target: 'env' as const,
      name: c.env,
      source: c.from === 'user' ? ('user' as const) : ('org' as const),
      ...(c.secretRef !== undefined && { secretRef: c.secretRef }),
      label: c.label ?? c.env,
    }));
  }
  return (entry.credentials ?? []).map((c) => ({
    server,
    target: 'header' as const,
    name: c.header,
    source: c.from === 'user' ? ('user' as const) : ('org' as const),
    ...(c.secretRef !== undefined && { secretRef: c.secretRef }),
    label: c.label ?? c.header,
    ...(c.prefix !== undefined && { prefix: c.prefix }),
  }));
}

/** Every org secret reference a policy server uses (credentials and the identity shared secret). */
export function secretRefsOf(entry: PolicyServer): string[] {
  const credentials: readonly { secretRef?: string | undefined }[] = entry.credentials ?? [];
  const refs = credentials.flatMap((c) => (c.secretRef !== undefined ? [c.secretRef] : []));
  if ('identity' in entry && entry.identity?.sharedSecret) refs.push(entry.identity.sharedSecret.secretRef);
  return refs;
}

import type { OrgMode } from './org-mode.ts';
import { resourcesToRequest } from '../identity/index.ts';
import { listServerAccess, type PolicyDocument, type ServerToggles, type UserClaims } from '../policy/index.ts';

/** Org servers the user may use whose token the current sign-in cannot get, and what to tell the user. */
export type SignInNeeded = { servers: string[]; reason: string };

/**
 * The IdP issues tokens only for the resources (RFC 8707) asked for at sign-in. A policy published
 * mid-session can add a server whose identity forwarding needs a resource the sign-in did not ask
 * for: its calls fail until the user signs in again, which asks for every resource the policy names.
 * Servers the user may not use (or turned off) are left out: signing in again would not help them.
 */
export function signInNeededFor(input: {
  policy: PolicyDocument | undefined;
  claims: UserClaims;
  toggles: ServerToggles;
  granted: ReadonlySet<string>;
}): SignInNeeded | undefined {
  if (!input.policy) return undefined;
  const servers = listServerAccess({ policy: input.policy, claims: input.claims, toggles: input.toggles })
    .filter((access) => access.enabled)
    .filter((access) => {
      const identity = 'identity' in access.server ? access.server.identity : undefined;
      return resourcesToRequest([identity]).some((resource) => !input.granted.has(resource));
    })
    .map((access) => access.id)
    .sort();
  if (servers.length === 0) return undefined;
  return {
    servers,
    reason: `Your organisation added servers that need you to sign in again: ${servers.join(', ')}.`,
  };
}

/**
 * Calls `onChange(cleared)` whenever the servers waiting for a new sign-in change. The window must
 * hear of it even when nothing else in the status changed (signing in again keeps user and policy),
 * and the servers the new sign-in `cleared` connect at once rather than after their retry back-off.
 */
export function followSignInNeeded(
  org: Pick<OrgMode, 'onChange' | 'status'>,
  onChange: (cleared: string[]) => void,
): () => void {
  let previous = org.status().signInNeeded?.servers ?? [];
  return org.onChange(() => {
    const status = org.status();
    const current = status.signInNeeded?.servers ?? [];
    if (current.join('\n') === previous.join('\n')) return;
    // After a sign-out nothing is cleared: those servers stop instead.
    const cleared = status.user ? previous.filter((name) => !current.includes(name)) : [];
    previous = current;
    onChange(cleared);
  });
}

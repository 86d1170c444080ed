/** The signed-in person as Gatehouse shows and forwards them, read from the IdP's ID-token claims. */
export type SignedInUser = {
  sub: string;
  email?: string;
  name?: string;
  groups: string[];
  roles: string[];
  team?: string;
  /** Every claim as the IdP sent it (for policy claim mappings such as `realm_access.roles`). */
  claims: Readonly<Record<string, unknown>>;
};

/** Claims of the ID token without the token mechanics (nonce, at_hash…), which nobody downstream needs. */
const TOKEN_MECHANICS = new Set(['nonce', 'at_hash', 'c_hash', 's_hash', 'sid', 'auth_time', 'azp']);

export function userFromClaims(claims: Readonly<Record<string, unknown>>): SignedInUser {
  const identity = Object.fromEntries(Object.entries(claims).filter(([name]) => !TOKEN_MECHANICS.has(name)));
  return {
    sub: String(claims.sub),
    ...(typeof claims.email === 'string' && { email: claims.email }),
    ...(typeof claims.name === 'string' && { name: claims.name }),
    groups: strings(claims.groups),
    roles: strings(claims.roles),
    ...(typeof claims.team === 'string' && { team: claims.team }),
    claims: identity,
  };
}

// Some IdPs send a single group as a string rather than a one-element list.
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

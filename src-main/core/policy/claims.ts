import { matchesAnyGlob } from './glob.ts';
import type { ClaimMatch, ClaimNames } from './schema.ts';

/** Claims as the IdP sent them (ID token or userinfo), untouched. */
export type UserClaims = Readonly<Record<string, unknown>>;

/** The few facts rules can match on, read once from the claims. */
export type Subject = {
  email?: string;
  emailDomain?: string;
  groups: string[];
  roles: string[];
  team: string[];
};

const DEFAULT_NAMES: Required<ClaimNames> = { groups: 'groups', roles: 'roles', team: 'team', email: 'email' };

export function subjectFromClaims(claims: UserClaims, names: ClaimNames = {}): Subject {
  const read = (key: keyof ClaimNames) => readPath(claims, names[key] ?? DEFAULT_NAMES[key]);
  const subject: Subject = {
    groups: strings(read('groups')),
    roles: strings(read('roles')),
    team: strings(read('team')),
  };
  const email = read('email');
  // An address the IdP has not verified is whatever the user typed: never grant access on it.
  if (typeof email === 'string' && email.includes('@') && claims.email_verified !== false) {
    subject.email = email.toLowerCase();
    subject.emailDomain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  }
  return subject;
}

/** Every field given must match; within a field, any pattern may. No `when` at all means everyone. */
export function subjectMatches(when: ClaimMatch | undefined, subject: Subject): boolean {
  if (!when) return true;
  if (when.groups && !subject.groups.some((g) => matchesAnyGlob(when.groups!, g))) return false;
  if (when.roles && !subject.roles.some((r) => matchesAnyGlob(when.roles!, r))) return false;
  if (when.team && !subject.team.some((t) => matchesAnyGlob(when.team!, t))) return false;
  if (when.email && (subject.email === undefined || !matchesAnyGlob(when.email, subject.email, true))) return false;
  if (
    when.emailDomain &&
    (subject.emailDomain === undefined || !matchesAnyGlob(when.emailDomain, subject.emailDomain, true))
  ) {
    return false;
  }
  return true;
}

function readPath(claims: UserClaims, path: string): unknown {
  // A claim literally named with dots (some IdPs use URLs as claim names) wins over a nested path.
  if (path in claims) return claims[path];
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

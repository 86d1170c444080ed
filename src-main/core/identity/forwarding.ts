import { IdentityError } from './errors.ts';

/**
 * How one upstream server learns who is calling; the shape of a policy server's `identity`
 * (src-main/core/policy/schema.ts), restated here so this module stands alone.
 */
export type IdentityForwarding = {
  /** One header carrying a JSON object of the chosen claims. */
  claimsHeader?: { name: string; claims: readonly string[] };
  /** One header per claim, e.g. `{ email: 'X-User-Email' }`; lists are comma-separated. */
  claimHeaders?: { email?: string; groups?: string; roles?: string; team?: string };
  /** `Authorization: Bearer <token>` issued by the IdP for this server (RFC 8707 resource / audience). */
  accessToken?: { audience?: string; resource?: string; scope?: string };
  /** `Authorization: Bearer <token>` exchanged at the IdP for this server (RFC 8693); the caller adds it. */
  tokenExchange?: { audience?: string; resource?: string; scope?: string };
  /** A header whose value tells the server the request came through Gatehouse. */
  sharedSecret?: { header: string; secretRef: string };
};

/** The verified user, as the auth module reports it (SignedInUser fits). */
export type ForwardedUser = {
  sub: string;
  email?: string;
  groups: readonly string[];
  roles: readonly string[];
  team?: string | readonly string[];
  claims: Readonly<Record<string, unknown>>;
};

export type UpstreamHeadersInput = {
  user: ForwardedUser | undefined;
  forwarding: IdentityForwarding | undefined;
  /** The auth client's getAccessToken: a current IdP-issued token for the given resource. */
  getAccessToken: (request: { resource?: string; scope?: string }) => Promise<string>;
  /** The value behind `forwarding.sharedSecret.secretRef`, looked up by the caller. */
  sharedSecret?: string;
};

/**
 * The identity headers for one upstream request. Only these identity headers may reach the
 * upstream: whatever the AI client sent is removed first (`stripSpoofableHeaders`).
 */
export async function buildUpstreamHeaders(input: UpstreamHeadersInput): Promise<Record<string, string>> {
  const { user, forwarding } = input;
  const headers: Record<string, string> = {};
  if (!forwarding) return headers;
  const needsUser =
    forwarding.claimsHeader || forwarding.claimHeaders || forwarding.accessToken || forwarding.tokenExchange;
  if (needsUser && !user) {
    throw new IdentityError(
      'identity_unavailable',
      'This server needs to know who you are: sign in to your organisation first.',
    );
  }
  if (user && forwarding.claimsHeader) {
    headers[forwarding.claimsHeader.name] = asciiJson(chosenClaims(user, forwarding.claimsHeader.claims));
  }
  if (user && forwarding.claimHeaders) {
    const { email, groups, roles, team } = forwarding.claimHeaders;
    if (email && user.email) headers[email] = listValue([user.email]);
    if (groups) headers[groups] = listValue(user.groups);
    if (roles) headers[roles] = listValue(user.roles);
    if (team && user.team !== undefined)
      headers[team] = listValue(typeof user.team === 'string' ? [user.team] : user.team);
  }
  if (forwarding.accessToken) {
    const { resource, audience, scope } = forwarding.accessToken;
    const token = await input.getAccessToken({
      ...((resource ?? audience) && { resource: resource ?? audience }),
      ...(scope && { scope }),
    });
    headers.Authorization = `Bearer ${token}`;
  }
  if (forwarding.sharedSecret) {
    if (!input.sharedSecret) {
      throw new IdentityError(
        'shared_secret_missing',
        `The org secret '${forwarding.sharedSecret.secretRef}' this server expects is not available on this laptop. Ask your IT team.`,
      );
    }
    headers[forwarding.sharedSecret.header] = input.sharedSecret;
  }
  return headers;
}

/** Every header name the forwarding settings set: none of them may come from a client. */
export function identityHeaderNames(forwarding: IdentityForwarding | undefined): string[] {
  if (!forwarding) return [];
  const names = [
    forwarding.claimsHeader?.name,
    ...Object.values(forwarding.claimHeaders ?? {}),
    forwarding.sharedSecret?.header,
    (forwarding.accessToken || forwarding.tokenExchange) && 'Authorization',
  ];
  return names.filter((name): name is string => typeof name === 'string');
}

/** The resource indicators to request at sign-in so every server's token can be issued later. */
export function resourcesToRequest(forwardings: readonly (IdentityForwarding | undefined)[]): string[] {
  const resources = forwardings.map((f) => f?.accessToken && (f.accessToken.resource ?? f.accessToken.audience));
  return [...new Set(resources.filter((r): r is string => typeof r === 'string'))];
}

function chosenClaims(user: ForwardedUser, names: readonly string[]): Record<string, unknown> {
  const normalized: Record<string, unknown> = {
    sub: user.sub,
    email: user.email,
    groups: user.groups,
    roles: user.roles,
    team: user.team,
  };
  const chosen: Record<string, unknown> = {};
  for (const name of names) {
    const value = name in user.claims ? user.claims[name] : normalized[name];
    if (value !== undefined) chosen[name] = value;
  }
  return chosen;
}

/** JSON with every non-ASCII character escaped: header values must be plain ASCII to survive every HTTP stack. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Items joined by commas. An item containing a comma, `%`, a control or a non-ASCII character is
 * percent-encoded (UTF-8), so the list splits unambiguously and the value is valid in a header.
 */
function listValue(items: readonly string[]): string {
  return items.map((item) => item.replace(/[^\x20-\x7e]|[,%]/gu, percentEncode)).join(',');
}

function percentEncode(char: string): string {
  try {
    return encodeURIComponent(char);
  } catch {
    return '%EF%BF%BD'; // a lone surrogate: U+FFFD, as a browser would send it
  }
}

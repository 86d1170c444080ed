/**
 * Header names and prefixes that carry identity or credentials. A client's copy of them never
 * reaches an upstream: identity is what Gatehouse verified, not what an AI client claims.
 */
const SPOOFABLE_NAMES = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'cookie2',
  'forwarded',
  'x-real-ip',
  'remote-user',
  'x-remote-user',
]);
const SPOOFABLE_PREFIXES = ['x-user-', 'x-gatehouse-', 'x-forwarded-', 'x-auth-request-'];

/**
 * A copy of `clientHeaders` without anything a client could use to pose as someone: credentials,
 * cookies, proxy identity headers, the `x-user-*`/`x-gatehouse-*` families and every header the
 * server's identity settings use (`identityHeaderNames`). Names compare case-insensitively.
 */
export function stripSpoofableHeaders<T>(
  clientHeaders: Readonly<Record<string, T>>,
  identityHeaderNames: readonly string[] = [],
): Record<string, T> {
  const identity = new Set(identityHeaderNames.map((name) => name.toLowerCase()));
  const kept: Record<string, T> = {};
  for (const [name, value] of Object.entries(clientHeaders)) {
    const lower = name.toLowerCase();
    if (
      SPOOFABLE_NAMES.has(lower) ||
      identity.has(lower) ||
      SPOOFABLE_PREFIXES.some((prefix) => lower.startsWith(prefix))
    )
      continue;
    kept[name] = value;
  }
  return kept;
}

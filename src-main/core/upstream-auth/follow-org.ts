import type { OrgMode } from '../org/index.ts';
import { decide, isPolicyUsable } from '../policy/index.ts';
import type { UpstreamOAuth } from './upstream-oauth.ts';

/**
 * Keeps upstream grants in step with the org sign-in and policy: sign-out (or another user) revokes
 * and deletes every grant; a server the policy removes or no longer allows this user loses its
 * grant; after sign-in the user's own grants connect their servers again.
 */
export function followOrgForUpstreamAuth(
  org: OrgMode,
  oauth: UpstreamOAuth,
  reconnect: (server: string) => void,
): () => void {
  let previous: string | undefined;
  return org.onChange(() => {
    const user = org.currentUser();
    const before = previous;
    previous = user?.sub;
    if (before && user?.sub !== before) {
      void oauth.forgetAll();
      return;
    }
    if (!user) return;
    if (!before) {
      void oauth
        .forgetOtherUsers()
        .then(() => oauth.connectedServers())
        .then((servers) => servers.forEach(reconnect))
        .catch(() => {});
    }
    const policy = org.currentPolicy();
    const status = org.status().policy;
    // Only a policy in force may take grants away; a stale or missing one decides nothing here.
    if (!policy || !status || !isPolicyUsable(status)) return;
    const known = new Set(org.servers().map((s) => s.name));
    void oauth
      .forgetServers(
        (server) =>
          known.has(server) &&
          decide({
            policy,
            claims: user.claims,
            toggles: {},
            server,
            kind: 'server',
            personal: !(server in policy.servers),
          }).allow,
      )
      .catch(() => {});
  });
}

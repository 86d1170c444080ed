/**
 * The question the router asks before listing or forwarding anything. Personal mode allows all;
 * org mode answers from the org policy (a pure decide()), so a policy change applies to sessions
 * that are already open.
 */
export type AccessDecision = { allow: true } | { allow: false; reason: string; rule?: string };

export type ItemKind = 'tool' | 'prompt' | 'resource';

export type RequestIdentity = { sessionId: string; localClientId: string };

export interface AccessControl {
  server(server: string, who: RequestIdentity): AccessDecision;
  item(server: string, kind: ItemKind, name: string, who: RequestIdentity): AccessDecision;
}

export const allowAll: AccessControl = {
  server: () => ({ allow: true }),
  item: () => ({ allow: true }),
};

export { allowAll } from './access.ts';
export type { AccessControl, AccessDecision, ItemKind, RequestIdentity } from './access.ts';
export { Router } from './router.ts';
export { DownstreamSession } from './session.ts';
export type { ClientInfo, DownstreamChannel, RequestDone, Scope } from './session.ts';

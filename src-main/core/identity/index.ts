export { IdentityError } from './errors.ts';
export type { IdentityErrorCode } from './errors.ts';
export { buildUpstreamHeaders, identityHeaderNames, resourcesToRequest } from './forwarding.ts';
export type { ForwardedUser, IdentityForwarding, UpstreamHeadersInput } from './forwarding.ts';
export { stripSpoofableHeaders } from './strip.ts';

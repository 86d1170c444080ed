export { UpstreamOAuth } from './upstream-oauth.ts';
export type { ConnectionState, ConnectionStatus, ServerOAuthSettings, UpstreamOAuthDeps } from './upstream-oauth.ts';
export { UpstreamAuthError } from './errors.ts';
export type { UpstreamAuthErrorCode } from './errors.ts';
export { followOrgForUpstreamAuth } from './follow-org.ts';

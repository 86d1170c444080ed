// Static credentials for upstream servers (org-provided and user-entered) and tokens minted per
// server by token exchange: resolved from the secret store when sent, never stored elsewhere.
export type { CredentialErrorCode } from './errors.ts';
export { credentialServer, forgetOrgCredentials, OrgCredentials } from './org-credentials.ts';
export type { OrgCredentialsOptions } from './org-credentials.ts';
export type { OrgSecretChange, OrgSecretSyncOptions } from './org-secrets.ts';
export { PersonalCredentials } from './personal-credentials.ts';
export { secretRefsOf } from './requirements.ts';
export type { CredentialRequirement } from './requirements.ts';
export type { CredentialsHost, ServerCredentials } from './server-credentials.ts';
export type { ExchangedToken, TokenExchangeRequest } from './token-exchange.ts';
export type { CredentialServer, CredentialStatus, UpstreamCredentialsOptions } from './upstream-credentials.ts';

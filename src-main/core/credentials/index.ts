// Static credentials for upstream servers (org-provided and user-entered) and tokens minted per
// server by token exchange: resolved from the secret store when sent, never stored elsewhere.
export { CredentialError } from './errors.ts';
export type { CredentialErrorCode } from './errors.ts';
export { credentialServer, OrgCredentials } from './org-credentials.ts';
export type { OrgCredentialsOptions } from './org-credentials.ts';
export { orgSecretsUrl } from './org-secrets.ts';
export type { OrgSecretChange, OrgSecretSyncOptions } from './org-secrets.ts';
export { secretRefsOf } from './requirements.ts';
export type { CredentialRequirement } from './requirements.ts';
export type { ExchangedToken, TokenExchangeRequest } from './token-exchange.ts';
export { UpstreamCredentials } from './upstream-credentials.ts';
export type { CredentialServer, CredentialStatus, UpstreamCredentialsOptions } from './upstream-credentials.ts';

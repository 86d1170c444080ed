// The reference org server: policy endpoint, push channel and discovery for the demo, the tests and
// small orgs. Plain Node; not part of the desktop app.
export { startOrgServer } from './app.ts';
export type { OrgServerOptions, RunningOrgServer, OrgServerLogger } from './app.ts';
export { loadSigningKey } from './signing-key.ts';
export type { PolicySigningKey } from './signing-key.ts';
export type { TokenVerifier, TokenVerifierOptions } from './token-verifier.ts';
export { OrgServerError } from './errors.ts';
export type { OrgServerErrorCode } from './errors.ts';

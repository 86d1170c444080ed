// The org policy: the document format, the one decision function, keeping the document in sync,
// and finding the org in the first place.
export { policyDocumentSchema, claimMatchSchema, claimNamesSchema } from './schema.ts';
export type {
  PolicyDocument,
  PolicyServer,
  StdioPolicyServer,
  RemotePolicyServer,
  PolicyRule,
  ClaimMatch,
  ClaimNames,
  ServerMode,
  AuditLevel,
  HeaderCredential,
  EnvCredential,
} from './schema.ts';
export { policyJsonSchema, policyJsonSchemaText } from './json-schema.ts';
export { validatePolicy, validatePolicyText } from './validate.ts';
export type { PolicyIssue, PolicyValidation, PathSegment } from './validate.ts';
export { decide, listServerAccess, filterList } from './decide.ts';
export type { Decision, DecisionInput, DecisionKind, ItemKind, ServerAccess, ServerToggles } from './decide.ts';
export { subjectFromClaims, subjectMatches } from './claims.ts';
export type { UserClaims } from './claims.ts';
export { matchesGlob } from './glob.ts';
export { createPolicySync, isPolicyUsable } from './sync.ts';
export type {
  PolicySync,
  PolicySyncOptions,
  PolicySyncStatus,
  PolicySyncState,
  PolicyChange,
  PolicySyncLogger,
} from './sync.ts';
export { decodePolicyBody } from './decode.ts';
export type { DecodedPolicy } from './decode.ts';
export { signPolicy, verifyPolicySignature } from './signature.ts';
export { clearPolicyCache, policyCacheFile, readCachedPolicy } from './cache.ts';
export {
  loadOrgConfig,
  saveOrgUrl,
  forgetOrgUrl,
  normalizeOrgUrl,
  managedConfigPath,
  requiresPolicySignature,
  discoveryDocumentSchema,
  auditSinksOf,
} from './org-config.ts';
export type { AuditSinkConfig, OrgConfig, OrgConfigResult, OrgConfigContext } from './org-config.ts';
export { PolicyError } from './errors.ts';
export type { PolicyErrorCode } from './errors.ts';

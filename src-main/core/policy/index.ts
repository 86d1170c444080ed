// The org policy: the document format, the one decision function, and keeping the document in sync.
export {
  policyDocumentSchema,
  serverSchema,
  ruleSchema,
  claimMatchSchema,
  claimNamesSchema,
  auditLevelSchema,
  serverModeSchema,
} from './schema.ts';
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
} from './schema.ts';
export { policyJsonSchema, policyJsonSchemaText, POLICY_SCHEMA_ID } from './json-schema.ts';
export { validatePolicy, validatePolicyText, formatJsonPath } from './validate.ts';
export type { PolicyIssue, PolicyValidation, PathSegment } from './validate.ts';
export { decide, listServerAccess, filterList, serverMode, auditLevelFor } from './decide.ts';
export type { Decision, DecisionInput, DecisionKind, ItemKind, ServerAccess, ServerToggles } from './decide.ts';
export { subjectFromClaims, subjectMatches } from './claims.ts';
export type { UserClaims, Subject } from './claims.ts';
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
export type { DecodedPolicy, DecodeOptions } from './decode.ts';
export { signPolicy, verifyPolicySignature, POLICY_JWS_TYPE, POLICY_JWS_MEDIA_TYPE } from './signature.ts';
export { clearPolicyCache, policyCacheFile } from './cache.ts';
export {
  loadOrgConfig,
  saveOrgUrl,
  forgetOrgUrl,
  discoverOrg,
  normalizeOrgUrl,
  managedConfigPath,
  requiresPolicySignature,
  managedConfigSchema,
  discoveryDocumentSchema,
  MANAGED_CONFIG_ENV,
} from './org-config.ts';
export type { OrgConfig, OrgConfigResult, OrgConfigContext } from './org-config.ts';
export { PolicyError } from './errors.ts';
export type { PolicyErrorCode } from './errors.ts';

// The org policy: the document format, the one decision function, and keeping the document in sync.
export {
  policyDocumentSchema,
  serverSchema,
  ruleSchema,
  claimMatchSchema,
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

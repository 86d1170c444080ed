import { z } from 'zod';
import { crossFieldIssues } from './consistency.ts';

/**
 * The org policy document, format version 1. This zod schema is the single source: the TypeScript
 * types, the runtime validation and the JSON Schema IT edits against (docs/schema/policy.schema.json)
 * all derive from it. Objects are strict on purpose: a misspelt field in an allow rule (`tool` for
 * `tools`) would otherwise silently widen what the rule allows.
 */

// Server ids end up in URLs (`/servers/<id>/mcp`) and in namespaced tool names.
const SERVER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// RFC 9110 token characters: anything else is not a header name an HTTP stack will send.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_REF = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;

const headerName = z.string().regex(HEADER_NAME, 'must be an HTTP header name (letters, digits and - _ . etc.)');
const secretRef = z
  .string()
  .regex(SECRET_REF, 'must be a secret name (letters, digits and . _ / -, at most 128 characters)')
  .describe('Name of an org-provided secret; the value is never part of the policy document.');
const pattern = z
  .string()
  .min(1, 'must not be empty')
  .describe('Exact value or glob: * matches any run of characters, ? one.');
const patterns = z.array(pattern).min(1, 'must list at least one pattern');

const auditLevelSchema = z
  .enum(['metadata', 'arguments', 'full'])
  .describe(
    'metadata: who/when/which tool/outcome; arguments: also the call arguments (secrets redacted); full: also results.',
  );

const serverModeSchema = z
  .enum(['default-on', 'default-off', 'locked-on'])
  .describe(
    'default-on: on until the user turns it off; default-off: off until the user turns it on; locked-on: always on.',
  );

const claimsHeaderSchema = z.strictObject({
  name: headerName.describe('Header that carries a JSON object of the chosen claims.'),
  claims: z
    .array(z.string().min(1))
    .min(1, 'must list at least one claim')
    .describe('Claim names copied into the header.'),
});

const claimHeadersSchema = z
  .strictObject({
    email: headerName.optional(),
    groups: headerName.optional(),
    roles: headerName.optional(),
    team: headerName.optional(),
  })
  .describe('One header per claim, e.g. {"email": "X-User-Email"}; list values are sent comma-separated.');

const accessTokenSchema = z
  .strictObject({
    audience: z.string().min(1).optional().describe('Audience the IdP-issued token must carry.'),
    resource: z.url().optional().describe('RFC 8707 resource indicator sent to the IdP when asking for the token.'),
    scope: z.string().min(1).optional().describe('Space-separated scopes requested for this token.'),
  })
  .refine((v) => v.audience !== undefined || v.resource !== undefined, {
    message: 'needs `audience` or `resource`: the IdP must know which server the token is for',
  })
  .describe('Forward an IdP-issued access token for this server as Authorization: Bearer (RFC 8707).');

const sharedSecretSchema = z
  .strictObject({ header: headerName, secretRef })
  .describe('A header whose value tells the server the request came through Gatehouse.');

const tokenExchangeSchema = z
  .strictObject({
    audience: z.string().min(1).optional().describe('Audience the exchanged token must carry (RFC 8693 `audience`).'),
    resource: z.url().optional().describe('Resource the exchanged token is for (RFC 8693 `resource`).'),
    scope: z.string().min(1).optional().describe('Space-separated scopes requested for the exchanged token.'),
  })
  .refine((v) => v.audience !== undefined || v.resource !== undefined, {
    message: 'needs `audience` or `resource`: the IdP must know which server the token is for',
  })
  .describe(
    "Exchange the user's IdP access token at the IdP for one minted for this server (RFC 8693 token exchange) and forward it as Authorization: Bearer.",
  );

const identitySchema = z
  .strictObject({
    claimsHeader: claimsHeaderSchema.optional(),
    claimHeaders: claimHeadersSchema.optional(),
    accessToken: accessTokenSchema.optional(),
    tokenExchange: tokenExchangeSchema.optional(),
    sharedSecret: sharedSecretSchema.optional(),
  })
  .describe('How the verified user identity is forwarded to this (remote) server.');

// Where a credential's value comes from: the org (by secretRef, delivered to the laptop's secret
// store) or the user (typed into the Gatehouse window). Never the policy document itself.
const credentialSource = {
  secretRef: secretRef.optional(),
  from: z
    .enum(['org', 'user'])
    .optional()
    .describe('org (default): the org provides the secret named by secretRef; user: the user enters it in Gatehouse.'),
  label: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('What the user is asked for in the window, e.g. "Linear API key".'),
};

function checkCredentialSource(
  credential: { secretRef?: string | undefined; from?: 'org' | 'user' | undefined },
  ctx: z.RefinementCtx,
): void {
  if (credential.from === 'user' && credential.secretRef !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['secretRef'],
      message: 'a credential the user enters (from: "user") has no secretRef',
    });
  }
  if (credential.from !== 'user' && credential.secretRef === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['secretRef'],
      message: 'needs `secretRef` (an org-provided secret) or `from: "user"` (the user enters it in Gatehouse)',
    });
  }
}

const headerCredentialSchema = z
  .strictObject({
    header: headerName,
    ...credentialSource,
    prefix: z.string().optional().describe('Text put before the secret, e.g. "Bearer ".'),
  })
  .superRefine(checkCredentialSource);
const envCredentialSchema = z
  .strictObject({
    env: z.string().regex(ENV_NAME, 'must be an environment variable name'),
    ...credentialSource,
  })
  .superRefine(checkCredentialSource);

const commonServerFields = {
  title: z.string().min(1).optional(),
  description: z.string().optional(),
  mode: serverModeSchema.optional().describe('Defaults to default-on.'),
  auditLevel: auditLevelSchema.optional().describe('Overrides the document-level auditLevel for this server.'),
  auditTools: z
    .record(pattern, auditLevelSchema)
    .optional()
    .describe(
      'Audit level per tool of this server: a tool name or glob → level, e.g. {"delete_*": "full"}; the most specific pattern wins over auditLevel.',
    ),
};

const stdioServerSchema = z
  .strictObject({
    type: z.literal('stdio').optional(),
    command: z.string().min(1, 'must name the program to start'),
    args: z.array(z.string()).optional(),
    env: z.record(z.string().regex(ENV_NAME, 'must be an environment variable name'), z.string()).optional(),
    cwd: z.string().min(1).optional(),
    credentials: z
      .array(envCredentialSchema)
      .optional()
      .describe('Environment variables filled from org-provided or user-entered secrets when the server is started.'),
    ...commonServerFields,
  })
  .describe('A server Gatehouse starts on the laptop (the mcpServers command/args/env shape).');

const upstreamOAuthSchema = z
  .strictObject({
    clientId: z
      .string()
      .min(1)
      .optional()
      .describe(
        "A client registered at the server's authorization server; without it Gatehouse registers itself (RFC 7591).",
      ),
    clientSecretRef: secretRef
      .optional()
      .describe(
        "The org secret holding that client's secret, for authorization servers that want a confidential client.",
      ),
    scopes: z
      .array(z.string().min(1))
      .optional()
      .describe("Scopes to ask for; default: the server's 401 challenge or its protected resource metadata."),
  })
  .describe(
    'Per-user OAuth sign-in to this server (MCP authorization). Not needed to turn it on: a server that answers 401 with a Bearer challenge is signed in to anyway.',
  );

const remoteServerSchema = z
  .strictObject({
    type: z.enum(['http', 'streamable-http', 'sse']).optional().describe('Defaults to http (Streamable HTTP).'),
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    headers: z.record(headerName, z.string()).optional().describe('Static, non-secret headers.'),
    identity: identitySchema.optional(),
    credentials: z
      .array(headerCredentialSchema)
      .optional()
      .describe('Headers filled from org-provided or user-entered secrets on every request.'),
    oauth: upstreamOAuthSchema.optional(),
    ...commonServerFields,
  })
  .describe('A server reached over the network (the mcpServers url/headers shape).');

export const serverSchema = z.union([stdioServerSchema, remoteServerSchema], {
  error: 'must be a stdio server (with `command`) or a remote server (with `url`)',
});

export const claimMatchSchema = z
  .strictObject({
    groups: patterns.optional(),
    roles: patterns.optional(),
    team: patterns.optional(),
    email: patterns
      .optional()
      .describe('Matched case-insensitively; ignored when the IdP says email_verified is false.'),
    emailDomain: patterns.optional().describe('The part after @, case-insensitive, e.g. "example.com".'),
  })
  .describe('Who a rule is for. Every field given must match (AND); within a field any pattern may match (OR).');

export const ruleSchema = z
  .strictObject({
    id: z.string().min(1).optional().describe('Stable name shown in denials and in the audit log.'),
    description: z.string().optional().describe('Shown to the user when this rule denies something.'),
    effect: z.enum(['allow', 'deny']),
    when: claimMatchSchema.optional().describe('Omitted: the rule applies to every signed-in user.'),
    servers: patterns.describe('Server ids (globs) the rule covers.'),
    tools: patterns.optional(),
    resources: patterns.optional().describe('Resource URIs (globs).'),
    prompts: patterns.optional(),
    contact: z.string().min(1).optional().describe('Whom to ask about this rule; overrides the document contact.'),
  })
  .describe(
    'Without tools/resources/prompts a rule covers whole servers; with any of them it covers only the listed kinds.',
  );

const claimPath = z
  .string()
  .regex(/^[^.\s]+(\.[^.\s]+)*$/, 'must be a claim name or a dotted path such as realm_access.roles');

export const claimNamesSchema = z
  .strictObject({
    groups: claimPath.optional(),
    roles: claimPath.optional(),
    team: claimPath.optional(),
    email: claimPath.optional(),
  })
  .describe('Where the IdP puts each claim, when not under the default name (e.g. {"roles": "realm_access.roles"}).');

const documentShape = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1, { error: 'must be 1 (the policy format this Gatehouse understands)' }),
  policyVersion: z.string().min(1).describe('Revision of this policy, shown to users and in the audit log.'),
  issuedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2025-01-31T12:00:00Z' }),
  staleAfterSeconds: z
    .int()
    .min(1)
    .optional()
    .describe('If the policy cannot be confirmed for this long, org servers are turned off (fail closed).'),
  contact: z.string().min(1).optional().describe('Whom users should ask about access, e.g. it-help@example.com.'),
  description: z.string().optional(),
  eventsUrl: z.url().optional().describe('Push channel (SSE); defaults to <policy endpoint>/events.'),
  auditLevel: auditLevelSchema.optional().describe('Default for every server; metadata when omitted.'),
  auditRequired: z
    .boolean()
    .optional()
    .describe(
      "true: calls are refused while Gatehouse cannot write its audit log (disk full, read-only), so nothing runs unrecorded, and each call's record is written before its answer (not right after it), so even a killed gateway leaves no answered call unrecorded. false when omitted: calls go on and the user is warned.",
    ),
  auditRetentionDays: z
    .int()
    .min(1)
    .max(3650)
    .optional()
    .describe(
      "Days the laptop keeps audit records; replaces the user's own setting (records not yet shipped to the audit sink are kept longer).",
    ),
  allowPersonalServers: z
    .boolean()
    .optional()
    .describe('May users add their own servers next to the org ones? false when omitted.'),
  claimNames: claimNamesSchema.optional(),
  servers: z.record(z.string().regex(SERVER_ID, 'server ids use letters, digits, . _ - (at most 64)'), serverSchema),
  rules: z
    .array(ruleSchema)
    .describe('Evaluated all together: any matching deny wins, else any matching allow, else deny.'),
});

export const policyDocumentSchema = documentShape
  .superRefine((doc, ctx) => {
    for (const issue of crossFieldIssues(doc)) ctx.addIssue({ code: 'custom', ...issue });
  })
  .describe('Gatehouse org policy document');

export type PolicyDocument = z.infer<typeof policyDocumentSchema>;
export type PolicyServer = z.infer<typeof serverSchema>;
export type StdioPolicyServer = z.infer<typeof stdioServerSchema>;
export type RemotePolicyServer = z.infer<typeof remoteServerSchema>;
export type PolicyRule = z.infer<typeof ruleSchema>;
export type ClaimMatch = z.infer<typeof claimMatchSchema>;
export type ClaimNames = z.infer<typeof claimNamesSchema>;
export type ServerMode = z.infer<typeof serverModeSchema>;
export type AuditLevel = z.infer<typeof auditLevelSchema>;
export type HeaderCredential = z.infer<typeof headerCredentialSchema>;
export type EnvCredential = z.infer<typeof envCredentialSchema>;

import { z } from 'zod';
import { ULID_PATTERN } from './ulid.ts';

/**
 * The audit record: fixed and versioned, because the org's pipelines parse it. Adding an optional
 * field keeps the version; renaming, removing or changing the meaning of one bumps it.
 */
export const AUDIT_SCHEMA_VERSION = 1;
export const AUDIT_SCHEMA_ID = 'https://gatehouse.dev/schema/audit-record-v1.json';

export const AUDIT_OUTCOMES = ['ok', 'tool_error', 'denied', 'upstream_error', 'timeout', 'cancelled'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export const REDACTION_LEVELS = ['none', 'shape', 'redacted', 'full'] as const;
export type RedactionLevel = (typeof REDACTION_LEVELS)[number];

const hash = z.string().regex(/^[0-9a-f]{64}$/);
const isoTime = z.iso.datetime({ offset: false, precision: 3 });
const nonNegative = z.number().nonnegative();

const auditUserSchema = z
  .object({
    sub: z.string().describe('Subject of the signed-in user at the org IdP.'),
    email: z.string().optional(),
    groups: z.array(z.string()).optional(),
  })
  .describe('The signed-in employee; absent in personal mode.');

const auditClientSchema = z
  .object({
    name: z.string().optional().describe('clientInfo.name from the MCP initialize request.'),
    version: z.string().optional().describe('clientInfo.version from the MCP initialize request.'),
    localTokenId: z.string().optional().describe('Which local client token the AI client presented.'),
  })
  .describe('The AI client that made the request.');

const auditContentItemSchema = z
  .object({
    type: z.string().describe('MCP content type: text, image, audio, resource, resource_link, ...'),
    role: z.string().optional().describe('For prompt messages: user or assistant.'),
    mimeType: z.string().optional(),
    uri: z.string().optional(),
    size: z.number().int().nonnegative().describe('Characters of text, or bytes of binary data.'),
    text: z.string().optional().describe('The text, at redaction levels redacted and full only.'),
    truncated: z.boolean().optional().describe('True when text was cut to the configured maximum.'),
  })
  .describe('One content item of a result, summarised.');

const auditResultSchema = z
  .object({
    isError: z.boolean().optional(),
    content: z.array(auditContentItemSchema).optional(),
    structuredContent: z.unknown().optional().describe('Shape, redacted or full, per redaction level.'),
  })
  .describe('What came back, per redaction level.');

export const auditRecordSchema = z
  .object({
    id: z.string().regex(ULID_PATTERN).describe('ULID: unique, sorts by time; receivers deduplicate on it.'),
    schemaVersion: z.literal(AUDIT_SCHEMA_VERSION),
    startedAt: isoTime.describe('When the request reached the gateway (UTC, millisecond precision).'),
    endedAt: isoTime.describe('When the response (or denial, or failure) was sent.'),
    user: auditUserSchema.optional(),
    client: auditClientSchema,
    sessionId: z.string().optional().describe('The MCP session between the AI client and the gateway.'),
    server: z.string().describe('The upstream server id.'),
    method: z.string().describe('JSON-RPC method, such as tools/call or resources/read.'),
    name: z.string().optional().describe('Tool name, resource URI or prompt name.'),
    redaction: z.enum(REDACTION_LEVELS).describe('The level params and result were recorded at.'),
    params: z.unknown().optional().describe('Request params: absent at none, keys and types at shape.'),
    result: auditResultSchema.optional(),
    outcome: z.enum(AUDIT_OUTCOMES),
    denyRule: z.string().optional().describe('The policy rule that denied the request.'),
    error: z.string().optional().describe('What went wrong, for every outcome but ok.'),
    latency: z.object({
      totalMs: nonNegative.describe('From request to response at the gateway.'),
      upstreamMs: nonNegative.optional().describe('Time spent waiting for the upstream server.'),
    }),
    bytesIn: z.number().int().nonnegative().describe('Size of the request as received from the client.'),
    bytesOut: z.number().int().nonnegative().describe('Size of the response sent to the client.'),
    policyVersion: z.string().optional().describe('Revision of the org policy that was in force.'),
    prevHash: hash.describe('hash of the previous record in this log (64 zeros for the first).'),
    hash: hash.describe('sha256 (hex) of the canonical JSON of this record without the hash member.'),
  })
  .describe('One request that reached an upstream MCP server through Gatehouse, or was denied.');

export type AuditRecord = z.infer<typeof auditRecordSchema>;
type AuditUser = z.infer<typeof auditUserSchema>;
type AuditClient = z.infer<typeof auditClientSchema>;
export type AuditResultSummary = z.infer<typeof auditResultSchema>;
export type AuditContentItem = z.infer<typeof auditContentItemSchema>;

/** What the session router hands to `append`: raw params and result; the log redacts them. */
export type AuditRecordInput = {
  /** Epoch ms (or Date) when the request arrived. */
  startedAt: number | Date;
  /** Epoch ms (or Date) when it finished; the log's clock when absent. */
  endedAt?: number | Date;
  user?: AuditUser;
  client?: AuditClient;
  sessionId?: string;
  server: string;
  method: string;
  name?: string;
  /** The request's params as received (for tools/call: `{ name, arguments, _meta }`). */
  params?: unknown;
  /** The result as returned to the client (CallToolResult, ReadResourceResult, GetPromptResult, ...). */
  result?: unknown;
  outcome: AuditOutcome;
  denyRule?: string;
  error?: string;
  /** Defaults to endedAt - startedAt. */
  totalMs?: number;
  upstreamMs?: number;
  bytesIn?: number;
  bytesOut?: number;
  policyVersion?: string;
};

/** The JSON Schema published for the org's pipelines (docs/schema/audit-record.schema.json). */
export function auditRecordJsonSchema(): Record<string, unknown> {
  // `input` leaves additionalProperties open, so a consumer of v1 keeps accepting records that
  // gained an optional field.
  const generated = z.toJSONSchema(auditRecordSchema, { target: 'draft-2020-12', io: 'input' }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = generated;
  return { $schema, $id: AUDIT_SCHEMA_ID, title: 'Gatehouse audit record', ...rest };
}

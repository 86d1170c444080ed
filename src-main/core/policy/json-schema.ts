import { z } from 'zod';
import { policyDocumentSchema } from './schema.ts';

const POLICY_SCHEMA_ID = 'https://gatehouse.dev/schema/policy.schema.json';

/**
 * The JSON Schema IT validates policy files against in their editor. Generated from the zod schema
 * (so it cannot drift); docs/schema/policy.schema.json is this output, pinned by a golden test.
 * Cross-field checks (unique rule ids, header clashes) are only in `validatePolicy`.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(policyDocumentSchema, { target: 'draft-2020-12', io: 'input' });
  const { $schema, ...rest } = generated;
  return { $schema, $id: POLICY_SCHEMA_ID, title: 'Gatehouse policy document', ...rest };
}

/** The schema as the committed file holds it: two-space indented, trailing newline. */
export function policyJsonSchemaText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}

import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AUDIT_SCHEMA_ID,
  AUDIT_SCHEMA_VERSION,
  auditRecordJsonSchema,
  auditRecordSchema,
  openAuditLog,
} from '../../src-main/core/audit/index.ts';
import { echoCallWithSecrets, ROOT, tempDir } from './support.ts';

const GOLDEN = path.join(ROOT, 'docs/schema/audit-record.schema.json');

describe('audit record schema', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
  });

  // Regenerate after a deliberate schema change:
  //   npm run audit:schema
  it('matches the committed JSON Schema', async () => {
    const committed: unknown = JSON.parse(await fs.readFile(GOLDEN, 'utf8'));
    // Compared as data and in key order too, so the published file reads like the generated one.
    expect(JSON.stringify(committed)).toBe(JSON.stringify(auditRecordJsonSchema()));
  });

  it('publishes every field the org pipelines rely on, and stays open to added optional fields', () => {
    const schema = auditRecordJsonSchema() as {
      properties: Record<string, unknown>;
      required: string[];
      additionalProperties?: unknown;
    };
    for (const field of [
      'id',
      'schemaVersion',
      'startedAt',
      'endedAt',
      'user',
      'client',
      'sessionId',
      'server',
      'method',
      'name',
      'params',
      'result',
      'outcome',
      'denyRule',
      'error',
      'latency',
      'bytesIn',
      'bytesOut',
      'policyVersion',
      'prevHash',
      'hash',
    ]) {
      expect(schema.properties).toHaveProperty(field);
    }
    expect(schema.required).toEqual(
      expect.arrayContaining(['id', 'schemaVersion', 'startedAt', 'server', 'method', 'outcome', 'prevHash', 'hash']),
    );
    expect(schema.additionalProperties).toBeUndefined();
    expect(auditRecordJsonSchema().$id).toBe(AUDIT_SCHEMA_ID);
    expect(AUDIT_SCHEMA_ID).toContain(`v${AUDIT_SCHEMA_VERSION}`);
  });

  it('describes the records the log actually writes, in personal mode (no user) and signed in', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const log = await openAuditLog({ dir, redaction: { level: 'full' } });
    try {
      log.append(echoCallWithSecrets());
      log.append(
        echoCallWithSecrets({
          user: undefined,
          outcome: 'denied',
          denyRule: 'no-prod-deploys',
          error: 'Denied by policy',
        }),
      );
      for (const level of ['none', 'shape', 'redacted'] as const) {
        log.setRedaction({ level });
        log.append(echoCallWithSecrets({ outcome: 'tool_error', error: 'boom' }));
      }
      const { records } = await log.query({ limit: 10 });
      expect(records).toHaveLength(5);
      for (const record of records) {
        expect(() => auditRecordSchema.parse(record)).not.toThrow();
        expect(record.schemaVersion).toBe(AUDIT_SCHEMA_VERSION);
      }
      expect(records.find((record) => record.outcome === 'denied')).not.toHaveProperty('user');
    } finally {
      await log.close();
    }
  });
});

import type { IncomingMessage, ServerResponse } from 'node:http';
import { recordHash } from './canonical.ts';
import type { AuditRecord } from './record.ts';
import { auditRecordSchema } from './record.ts';

/** Where a receiver keeps records; `add` must ignore ids it already has (batches are resent). */
export type AuditRecordStore = {
  add(
    records: AuditRecord[],
  ): Promise<{ accepted: number; duplicates: number }> | { accepted: number; duplicates: number };
};

/** Records in memory, deduplicated by id: for tests, demos and the reference org server. */
export class MemoryAuditRecordStore implements AuditRecordStore {
  readonly records = new Map<string, AuditRecord>();
  /** Every record as received, duplicates included: lets a test see that a batch was resent. */
  received = 0;

  add(records: AuditRecord[]): { accepted: number; duplicates: number } {
    let accepted = 0;
    for (const record of records) {
      this.received++;
      if (this.records.has(record.id)) continue;
      this.records.set(record.id, record);
      accepted++;
    }
    return { accepted, duplicates: records.length - accepted };
  }
}

export type AuditBatchHandlerOptions = {
  store: AuditRecordStore;
  /** Decides whether a request may post records (check the bearer token here); all may when absent. */
  authorize?: (request: IncomingMessage) => boolean | Promise<boolean>;
  maxBodyBytes?: number;
  /** Reject records whose content does not match their hash; on by default. */
  verifyHashes?: boolean;
};

type Handler = (request: IncomingMessage & { body?: unknown }, response: ServerResponse) => Promise<void>;

/**
 * The receiving end of the HTTPS batch format, as a plain Node handler: mount it on node:http or
 * express (`app.post('/audit', handler)`; a body express already parsed as JSON is used as is).
 * 200 `{accepted, duplicates}`; 400 with the index of the first bad record; 401, 405, 413, 415.
 */
export function createAuditBatchHandler(options: AuditBatchHandlerOptions): Handler {
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const verifyHashes = options.verifyHashes ?? true;
  return async (request, response) => {
    const reply = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      if (response.headersSent) return;
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
    try {
      if (request.method !== 'POST') return reply(405, { error: 'use POST' }, { allow: 'POST' });
      if (options.authorize && !(await options.authorize(request))) {
        return reply(401, { error: 'a valid bearer token is required' }, { 'www-authenticate': 'Bearer' });
      }
      let payload: unknown = request.body;
      if (payload === undefined) {
        if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
          return reply(415, { error: 'send application/json' });
        }
        const text = await readBody(request, maxBodyBytes);
        if (text === undefined) return reply(413, { error: `the body exceeds ${maxBodyBytes} bytes` });
        try {
          payload = JSON.parse(text);
        } catch {
          return reply(400, { error: 'the body is not JSON' });
        }
      }
      const records = (payload as { records?: unknown } | null)?.records;
      if (!Array.isArray(records)) return reply(400, { error: 'expected {"records": [...]}' });
      for (const [index, record] of records.entries()) {
        const parsed = auditRecordSchema.safeParse(record);
        if (!parsed.success) {
          return reply(400, {
            error: `record ${index} is not an audit record: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
            index,
          });
        }
        if (verifyHashes && recordHash(record as Record<string, unknown>) !== parsed.data.hash) {
          return reply(400, { error: `record ${index} (${parsed.data.id}) does not match its hash`, index });
        }
      }
      // The records as sent, not as parsed: unknown newer fields stay, and so does the hash's validity.
      reply(200, await options.store.add(records as AuditRecord[]));
    } catch (error) {
      reply(500, { error: `the receiver failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  };
}

async function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AuditRecord, AuditRecordInput, AuditRecordStore } from '../../src-main/core/audit/index.ts';
import { createAuditBatchHandler, MemoryAuditRecordStore } from '../../src-main/core/audit/index.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** Node 22 from the `node` devDependency: what the CLI and child writers run on. */
export const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');

export async function tempDir(prefix = 'gatehouse-audit-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A JWT-shaped token (header.payload.signature, base64url JSON header). */
export const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImtleS0xIn0.eyJzdWIiOiJhbGljZUBhY21lLmNvbSIsImF1ZCI6ImdpdGh1YiJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';
export const API_KEY = 'sk-proj-4f9a8b7c6d5e4f3a2b1c0d9e';
/** What a local client token looks like (the tokens module's gh_ prefix). */
export const LOCAL_TOKEN = 'gh_q7Xw2mZ4pL9sK3vB8nR1tY6uE0oI5aD2fG7hJ4kL0zX';

/** A tools/call to server-everything's echo with secrets in the arguments and the result, as the router sees it. */
export function echoCallWithSecrets(overrides: Partial<AuditRecordInput> = {}): AuditRecordInput {
  const message = `deploy acme/widgets with token ${JWT}`;
  return {
    startedAt: Date.now() - 12,
    endedAt: Date.now(),
    user: { sub: 'alice', email: 'alice@acme.com', groups: ['eng'] },
    client: { name: 'claude-ai', version: '0.1.0', localTokenId: 'claude-desktop' },
    sessionId: 'f3c1d2a4-session',
    server: 'everything',
    method: 'tools/call',
    name: 'echo',
    params: {
      name: 'echo',
      arguments: {
        message,
        api_key: API_KEY,
        repo: 'acme/widgets',
        options: { headers: { Authorization: `Bearer ${LOCAL_TOKEN}` }, retries: 3, verbose: true, ratio: 0.5 },
        tags: ['deploy', 'prod'],
      },
      _meta: { progressToken: 7 },
    },
    result: {
      content: [{ type: 'text', text: `Echo: ${message}` }],
      structuredContent: { echoed: message, apiKey: API_KEY, length: message.length },
      isError: false,
    },
    outcome: 'ok',
    upstreamMs: 9,
    bytesIn: 412,
    bytesOut: 388,
    policyVersion: '2025-06-01.3',
    ...overrides,
  };
}

/** A small, varied call for volume tests. */
export function simpleCall(i: number, overrides: Partial<AuditRecordInput> = {}): AuditRecordInput {
  return {
    startedAt: Date.now(),
    server: i % 3 === 0 ? 'github' : 'everything',
    method: 'tools/call',
    name: `tool-${i % 5}`,
    client: { name: i % 2 ? 'cursor' : 'claude-ai', localTokenId: i % 2 ? 'cursor' : 'claude-desktop' },
    params: { name: `tool-${i % 5}`, arguments: { seq: i } },
    result: { content: [{ type: 'text', text: `done ${i}` }] },
    outcome: 'ok',
    totalMs: 5,
    ...overrides,
  };
}

export async function segmentFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((name) => name.endsWith('.jsonl')).sort();
}

export async function readAllSegmentText(dir: string): Promise<string> {
  let text = '';
  for (const name of await segmentFiles(dir)) text += await fs.readFile(path.join(dir, name), 'utf8');
  return text;
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The HTTPS batch receiver on loopback: the module's own handler on node:http, records kept in
 * memory and deduplicated by id. `stop()` takes it off the network (connections refused) and
 * `start()` brings it back on the same port, as an org endpoint going down and up would.
 */
export class TestBatchReceiver {
  readonly store: MemoryAuditRecordStore & AuditRecordStore = new MemoryAuditRecordStore();
  requests = 0;
  /** When set, the next this-many requests are stored but their response is lost (socket destroyed). */
  loseAcknowledgements = 0;
  token: string | undefined;
  private server: http.Server | undefined;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/audit`;
  }

  get unique(): Map<string, AuditRecord> {
    return this.store.records;
  }

  async start(): Promise<this> {
    const handler = createAuditBatchHandler({
      store: this.store,
      authorize: (request) => !this.token || request.headers.authorization === `Bearer ${this.token}`,
    });
    this.server = http.createServer((request, response) => {
      this.requests++;
      if (request.url !== '/audit') {
        response.writeHead(404).end();
        return;
      }
      if (this.loseAcknowledgements > 0) {
        this.loseAcknowledgements--;
        // Store the batch, then drop the connection instead of answering: the sender must resend.
        response.end = (() => {
          request.socket.destroy();
          return response;
        }) as typeof response.end;
      }
      void handler(request, response);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A loopback OpenTelemetry collector: takes OTLP/HTTP JSON log exports and decodes the audit records in them. */
export class TestOtlpCollector {
  readonly exports: { headers: http.IncomingHttpHeaders; body: OtlpLogsRequest }[] = [];
  private server: http.Server | undefined;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/logs`;
  }

  /** Every log record received, flattened, with its resource attributes. */
  get logRecords(): { resource: Record<string, unknown>; record: OtlpLogRecord }[] {
    return this.exports.flatMap(({ body }) =>
      (body.resourceLogs ?? []).flatMap((resourceLogs) =>
        (resourceLogs.scopeLogs ?? []).flatMap((scopeLogs) =>
          (scopeLogs.logRecords ?? []).map((record) => ({
            resource: attributeMap(resourceLogs.resource?.attributes),
            record,
          })),
        ),
      ),
    );
  }

  /** The audit records carried in the log bodies. */
  get auditRecords(): AuditRecord[] {
    return this.logRecords.map(({ record }) => JSON.parse(record.body?.stringValue ?? 'null') as AuditRecord);
  }

  async start(): Promise<this> {
    this.server = http.createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      if (request.method !== 'POST' || request.url !== '/v1/logs') {
        response.writeHead(404).end();
        return;
      }
      if (!/^application\/json/.test(request.headers['content-type'] ?? '')) {
        // The http exporter sends OTLP/JSON; anything else means the test's premise changed.
        response.writeHead(415).end();
        return;
      }
      this.exports.push({ headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

type OtlpAnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
type OtlpKeyValue = { key: string; value: OtlpAnyValue };
export type OtlpLogRecord = {
  timeUnixNano?: string;
  severityNumber?: number;
  severityText?: string;
  eventName?: string;
  body?: OtlpAnyValue;
  attributes?: OtlpKeyValue[];
};
type OtlpLogsRequest = {
  resourceLogs?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeLogs?: { scope?: { name?: string }; logRecords?: OtlpLogRecord[] }[];
  }[];
};

export function attributeMap(attributes: OtlpKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of attributes ?? []) {
    out[key] =
      value.stringValue ??
      (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
      value.doubleValue ??
      value.boolValue;
  }
  return out;
}

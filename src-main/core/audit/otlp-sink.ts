import type { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import type { LoggerProvider, LogRecordProcessor, SdkLogRecord } from '@opentelemetry/sdk-logs';
import { AuditError, AuditSinkError } from './errors.ts';
import { isLoopback } from './https-batch-sink.ts';
import type { AuditSink } from './outbox.ts';
import type { AuditOutcome, AuditRecord } from './record.ts';
import { AUDIT_SCHEMA_VERSION } from './record.ts';

export type OtlpLogSinkOptions = {
  /** The collector's logs endpoint, e.g. https://otel.example.com/v1/logs. */
  url: string;
  /** Headers for each export (an Authorization header for the collector, say). */
  headers?: Record<string, string> | (() => Promise<Record<string, string>>);
  /** Extra resource attributes (host.name, deployment.environment, ...); service.name is gatehouse. */
  resourceAttributes?: Record<string, string>;
  /** Cursor file name; `otlp` when absent. */
  name?: string;
  timeoutMs?: number;
};

/** OpenTelemetry severity numbers (SeverityNumber in @opentelemetry/api-logs). */
const SEVERITY: Record<AuditOutcome, { number: number; text: string }> = {
  ok: { number: 9, text: 'INFO' },
  cancelled: { number: 9, text: 'INFO' },
  denied: { number: 13, text: 'WARN' },
  tool_error: { number: 13, text: 'WARN' },
  upstream_error: { number: 17, text: 'ERROR' },
  timeout: { number: 17, text: 'ERROR' },
};

/**
 * OTLP/HTTP logs through the OpenTelemetry JS SDK and exporter, so any collector takes them. One
 * log record per audit record: the body is the audit record's JSON (lossless, its hash can be
 * re-checked), attributes carry the fields a backend filters on. The SDK's own batch processor is
 * not used, because it drops on failure; the outbox needs to know whether a batch arrived.
 */
export function createOtlpLogSink(options: OtlpLogSinkOptions): AuditSink {
  const url = new URL(options.url);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new AuditError(
      'AUDIT_BAD_INPUT',
      `The OTLP collector URL ${url.origin} must use https (plain http is accepted only for 127.0.0.1, ::1 and localhost).`,
    );
  }
  // The OpenTelemetry SDK is loaded on first use: about 30 MB and 250 ms that a gateway without an
  // OTLP sink (most laptops) should not pay at start.
  type Loaded = {
    exporter: OTLPLogExporter;
    provider: LoggerProvider;
    logger: ReturnType<LoggerProvider['getLogger']>;
  };
  const emitted: SdkLogRecord[] = [];
  let loading: Promise<Loaded> | undefined;
  const load = () =>
    (loading ??= (async () => {
      const [{ OTLPLogExporter }, { resourceFromAttributes }, { LoggerProvider }] = await Promise.all([
        import('@opentelemetry/exporter-logs-otlp-http'),
        import('@opentelemetry/resources'),
        import('@opentelemetry/sdk-logs'),
      ]);
      const exporter = new OTLPLogExporter({
        url: url.href,
        ...(options.headers ? { headers: options.headers } : {}),
        timeoutMillis: options.timeoutMs ?? 30_000,
        concurrencyLimit: 1,
      });
      const collector: LogRecordProcessor = {
        onEmit: (record) => emitted.push(record),
        forceFlush: async () => undefined,
        shutdown: async () => undefined,
      };
      const provider = new LoggerProvider({
        resource: resourceFromAttributes({ 'service.name': 'gatehouse', ...options.resourceAttributes }),
        processors: [collector],
      });
      return { exporter, provider, logger: provider.getLogger('gatehouse.audit', String(AUDIT_SCHEMA_VERSION)) };
    })());

  return {
    name: options.name ?? 'otlp',
    async send(records: AuditRecord[]): Promise<void> {
      const { exporter, logger } = await load();
      emitted.length = 0;
      for (const record of records) {
        const severity = SEVERITY[record.outcome] ?? SEVERITY.ok;
        logger.emit({
          eventName: 'gatehouse.audit.request',
          timestamp: Date.parse(record.startedAt),
          observedTimestamp: Date.parse(record.endedAt),
          severityNumber: severity.number,
          severityText: severity.text,
          body: JSON.stringify(record),
          attributes: attributesOf(record),
        });
      }
      const batch = emitted.splice(0);
      await new Promise<void>((resolve, reject) => {
        exporter.export(batch, (result) => {
          if (result.code === 0) resolve();
          else {
            const status = (result.error as { code?: unknown } | undefined)?.code;
            reject(
              new AuditSinkError(
                `The OTLP collector ${url.origin} did not take the audit batch: ${result.error?.message ?? 'export failed'}`,
                typeof status === 'number' ? { cause: result.error, status } : { cause: result.error },
              ),
            );
          }
        });
      });
    },
    async close(): Promise<void> {
      if (!loading) return;
      const { provider, exporter } = await loading;
      await provider.shutdown();
      await exporter.shutdown();
    },
  };
}

function attributesOf(record: AuditRecord): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {
    'gatehouse.audit.id': record.id,
    'gatehouse.audit.schema_version': record.schemaVersion,
    'gatehouse.audit.outcome': record.outcome,
    'gatehouse.audit.server': record.server,
    'gatehouse.audit.latency_ms': record.latency.totalMs,
    'mcp.method.name': record.method,
  };
  const optional: Record<string, string | undefined> = {
    'gatehouse.audit.name': record.name,
    'gen_ai.tool.name': record.method === 'tools/call' ? record.name : undefined,
    'mcp.resource.uri': record.method === 'resources/read' ? record.name : undefined,
    'gen_ai.prompt.name': record.method === 'prompts/get' ? record.name : undefined,
    'mcp.session.id': record.sessionId,
    'enduser.id': record.user?.sub,
    'gatehouse.client.name': record.client.name,
    'gatehouse.audit.deny_rule': record.denyRule,
    'gatehouse.policy.version': record.policyVersion,
    'error.type': record.outcome === 'ok' ? undefined : record.outcome,
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) attributes[key] = value;
  return attributes;
}

// The audit module's public surface: the log, its record schema, redaction, the outbox and its sinks.
export { AuditLog, auditDirIn, DEFAULT_AUDIT_LIMITS, openAuditLog } from './audit-log.ts';
export type { AuditLogOptions, AuditLogStatus } from './audit-log.ts';
export {
  AUDIT_OUTCOMES,
  AUDIT_SCHEMA_ID,
  AUDIT_SCHEMA_VERSION,
  auditRecordJsonSchema,
  auditRecordSchema,
  REDACTION_LEVELS,
} from './record.ts';
export type { AuditOutcome, AuditRecord, AuditRecordInput, RedactionLevel } from './record.ts';
export { maskSecretsInText, MIN_SECRET_LENGTH, redact, redactionLevelFor } from './redaction.ts';
export type { RedactionConfig } from './redaction.ts';
export type { AuditFilter, AuditPage, AuditQuery } from './query.ts';
export type { AuditMetrics, AuditMetricsWindow, AuditStats } from './metrics.ts';
export { auditSummaryLine, auditWarnings } from './summary.ts';
export type { VerifyResult } from './verify.ts';
export { verifyAuditDir } from './verify.ts';
export { CSV_COLUMNS, csvHeader, csvRow } from './export.ts';
export { AuditOutbox, createOutbox } from './outbox.ts';
export type { AuditSink, OutboxStatus } from './outbox.ts';
export { createHttpsBatchSink } from './https-batch-sink.ts';
export { createOtlpLogSink } from './otlp-sink.ts';
export { createAuditBatchHandler, MemoryAuditRecordStore } from './batch-receiver.ts';
export type { AuditRecordStore } from './batch-receiver.ts';
export { AuditError, AuditSinkError } from './errors.ts';

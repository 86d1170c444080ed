import type { AuditLogStatus } from './audit-log.ts';
import type { AuditMetrics } from './metrics.ts';
import type { OutboxStatus } from './outbox.ts';

const plural = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`;

/** One line for the tray menu: the last hour's calls, failures, denials and p95 latency. */
export function auditSummaryLine(metrics: AuditMetrics): string {
  const { calls, errors, denials, p95Ms } = metrics.hour.total;
  if (calls === 0) return 'Last hour: no tool calls';
  const parts = [plural(calls, 'call')];
  if (errors > 0) parts.push(plural(errors, 'error'));
  if (denials > 0) parts.push(`${denials} denied`);
  if (p95Ms !== null) parts.push(`p95 ${p95Ms < 10 ? p95Ms.toFixed(1) : Math.round(p95Ms)} ms`);
  return `Last hour: ${parts.join(', ')}`;
}

/**
 * What the window and the tray must show about the audit trail, most urgent first: a disk that
 * refuses records, records lost, and sinks whose backlog nears the limit (said before anything is
 * deleted: the outbox warns at 80 % of the folder's size limit).
 */
export function auditWarnings(log: AuditLogStatus, outboxes: readonly OutboxStatus[]): string[] {
  const warnings: string[] = [];
  if (log.writeError) warnings.push(`The audit log cannot be written: ${log.writeError}`);
  if (log.droppedOnWrite > 0)
    warnings.push(
      `${plural(log.droppedOnWrite, 'audit record')} could not be written (the disk failed for too long) and ${log.droppedOnWrite === 1 ? 'is' : 'are'} lost.`,
    );
  for (const outbox of outboxes) if (outbox.warning) warnings.push(outbox.warning);
  if (log.droppedUnshipped > 0 && !outboxes.some((outbox) => outbox.dropped > 0))
    warnings.push(
      `${plural(log.droppedUnshipped, 'audit record')} were deleted by the size limit before they were shipped.`,
    );
  return warnings;
}

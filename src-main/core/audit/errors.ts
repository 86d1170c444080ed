/** Stable codes for everything the audit module can fail at; callers branch on `code`, people read `message`. */
export type AuditErrorCode =
  | 'AUDIT_LOCKED'
  | 'AUDIT_CLOSED'
  | 'AUDIT_READ_ONLY'
  | 'AUDIT_IO'
  | 'AUDIT_BAD_INPUT'
  | 'AUDIT_BAD_CURSOR'
  | 'AUDIT_SINK_FAILED';

export class AuditError extends Error {
  readonly code: AuditErrorCode;

  constructor(code: AuditErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'AuditError';
    this.code = code;
  }
}

/**
 * A sink could not take a batch. `retryAfterMs` carries the receiver's Retry-After when it sent
 * one; `status` the HTTP status when there was a response at all.
 */
export class AuditSinkError extends AuditError {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly tooLarge: boolean;

  constructor(message: string, options: { cause?: unknown; status?: number; retryAfterMs?: number } = {}) {
    super('AUDIT_SINK_FAILED', message, options);
    this.name = 'AuditSinkError';
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.tooLarge = options.status === 413;
  }
}

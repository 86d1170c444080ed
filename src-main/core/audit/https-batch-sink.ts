import { AuditError, AuditSinkError } from './errors.ts';
import type { AuditSink } from './outbox.ts';
import type { AuditRecord } from './record.ts';

export type HttpsBatchSinkOptions = {
  /** The org's audit endpoint. Plain http only for loopback addresses (a local collector, tests). */
  url: string | URL;
  /** A bearer token for each request (the IdP access token for the org's audience), or none. */
  token?: () => string | undefined | Promise<string | undefined>;
  /** Cursor file name; `https` when absent. */
  name?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
};

/**
 * The HTTPS batch format: `POST {url}` with `{"records": [...]}` (application/json). Any 2xx means
 * every record in the batch is stored; the receiver deduplicates by record id, because a batch is
 * resent whenever its acknowledgement was lost. `createAuditBatchHandler` is the receiving side.
 */
export function createHttpsBatchSink(options: HttpsBatchSinkOptions): AuditSink {
  const url = new URL(options.url);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new AuditError(
      'AUDIT_BAD_INPUT',
      `The audit sink URL ${url.origin} must use https (plain http is accepted only for 127.0.0.1, ::1 and localhost).`,
    );
  }
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    name: options.name ?? 'https',
    async send(records: AuditRecord[], signal: AbortSignal): Promise<void> {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
      const token = await options.token?.();
      if (token) headers.authorization = `Bearer ${token}`;
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method: 'POST',
          headers,
          body: JSON.stringify({ records }),
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        });
      } catch (cause) {
        throw new AuditSinkError(`Cannot reach the audit endpoint ${url.origin}: ${describe(cause)}`, { cause });
      }
      if (response.ok) {
        await response.body?.cancel();
        return;
      }
      const detail = (await response.text().catch(() => '')).slice(0, 300);
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      throw new AuditSinkError(
        `The audit endpoint ${url.origin} answered ${response.status}${detail ? `: ${detail}` : ''}`,
        retryAfterMs === undefined ? { status: response.status } : { status: response.status, retryAfterMs },
      );
    },
  };
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}

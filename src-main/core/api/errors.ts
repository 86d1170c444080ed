import { z } from 'zod';

/** How an error crosses HTTP and IPC: a stable code the window can branch on, and a message for people. */
export const ApiErrorBodySchema = z.object({
  code: z.string(),
  message: z.string(),
  /** For `invalid-input`: where the input was wrong. */
  issues: z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() })).optional(),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>;

/**
 * Codes the API layer itself produces. The core's modules throw their own errors with their own
 * string `code` (e.g. `locked-by-policy`), which pass through unchanged.
 * - `invalid-input`: the caller sent something the contract does not accept (a client fault).
 * - `not-found`: no such method, server or client.
 * - `contract-violation`: the core answered something the contract does not allow (a server fault).
 * - `internal`: an error without a code (a server fault).
 * - `unauthorized`, `unreachable`, `transport`: produced by the client-side transports.
 */
export type ApiErrorCode =
  'invalid-input' | 'not-found' | 'contract-violation' | 'internal' | 'unauthorized' | 'unreachable' | 'transport';

/** An error from an API call, the same on both sides of the wire. */
export class ApiError extends Error {
  readonly code: string;
  readonly issues: ApiErrorBody['issues'];

  constructor(
    code: ApiErrorCode | (string & {}),
    message: string,
    options: { issues?: ApiErrorBody['issues']; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.issues = options.issues;
  }

  static fromBody(body: ApiErrorBody): ApiError {
    return new ApiError(body.code, body.message, { issues: body.issues });
  }

  toBody(): ApiErrorBody {
    return this.issues
      ? { code: this.code, message: this.message, issues: this.issues }
      : { code: this.code, message: this.message };
  }
}

export function issuesOf(error: z.ZodError): NonNullable<ApiErrorBody['issues']> {
  return error.issues.map((issue) => ({
    path: issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part)),
    message: issue.message,
  }));
}

/** "limit: Too big: expected number to be <=1000; client: Invalid string" */
export function describeIssues(issues: NonNullable<ApiErrorBody['issues']>): string {
  return issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

export type UpstreamErrorCode =
  | 'connect_failed'
  | 'closed'
  | 'timeout'
  | 'send_failed'
  | 'restarting'
  | 'protocol'
  /** The server wants the user to sign in (OAuth consent); the message says how. */
  | 'auth_required';

/** A failure talking to an upstream server; the message is written for the person using the AI client. */
export class UpstreamError extends Error {
  readonly code: UpstreamErrorCode;
  readonly server: string;
  constructor(code: UpstreamErrorCode, server: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamError';
    this.code = code;
    this.server = server;
  }
}

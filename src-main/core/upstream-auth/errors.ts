export type UpstreamAuthErrorCode =
  /** No OAuth metadata for the server: it asked for a sign-in Gatehouse cannot perform. */
  | 'discovery_failed'
  /** The authorization server refused dynamic client registration and the policy names no client id. */
  | 'registration_failed'
  /** The user or the authorization server refused, or the code exchange failed. */
  | 'authorization_failed'
  /** The browser step did not come back in time. */
  | 'authorization_timeout'
  /** Not a remote server, or not configured at all. */
  | 'unknown_server';

/** A failure connecting a remote server for the user; `code` is stable, `message` is for the user. */
export class UpstreamAuthError extends Error {
  readonly code: UpstreamAuthErrorCode;
  readonly server: string;
  constructor(code: UpstreamAuthErrorCode, server: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamAuthError';
    this.code = code;
    this.server = server;
  }
}

/** The sentence an AI client shows when a server waits for the user's consent. */
export function consentMessage(server: string): string {
  return `Open Gatehouse to connect ${server}: the server needs you to sign in first (Connections → Connect in the Gatehouse window, or run \`gatehouse connect ${server}\`). Then try again.`;
}

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
  | 'unknown_server'
  /** The server's Authorization header comes from its configuration or the org policy: nothing to sign in to. */
  | 'own_authorization';

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

/**
 * The sentence an AI client shows when a server refused the Authorization header the org policy
 * gives it (an org secret, a key the user entered, the IdP's token): that credential failed, and
 * signing in to the server would not help.
 */
export function policyCredentialMessage(server: string, challengeError: string | undefined): string {
  return `Server '${server}' refused the credential your organization's policy sends it (HTTP 401${challengeError ? `, ${challengeError}` : ''}). If you entered a key for ${server} in Gatehouse, check it under Servers → Credentials; otherwise tell your IT contact that this credential no longer works.`;
}

/** The sentence an AI client shows when a server waits for the user's consent. */
export function consentMessage(server: string): string {
  return `Open Gatehouse to connect ${server}: the server needs you to sign in first (Connections → Connect in the Gatehouse window, or run \`gatehouse connect ${server}\`). Then try again.`;
}

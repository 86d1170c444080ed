import * as oidc from 'openid-client';

export type AuthErrorCode =
  /** The browser sign-in did not come back to Gatehouse in time. */
  | 'login_timeout'
  /** The caller aborted the sign-in (closed the window, pressed Ctrl-C). */
  | 'login_cancelled'
  /** The IdP or the user refused the sign-in (access_denied and friends). */
  | 'login_denied'
  /** The system browser could not be opened. */
  | 'browser_failed'
  /** The device code ran out before the user confirmed it. */
  | 'device_code_expired'
  /** No answer from the IdP (network, DNS, TLS, timeout). */
  | 'idp_unreachable'
  /** The IdP answered with something Gatehouse cannot use. */
  | 'idp_error'
  /** The refresh token no longer works (revoked, expired, reused): the user must sign in again. */
  | 'refresh_failed'
  /** Nobody is signed in (or the stored sign-in is for another IdP or client). */
  | 'not_signed_in'
  /** A token for a resource that was not requested at sign-in; asking the IdP anyway would end the session. */
  | 'resource_not_granted'
  /** The issuer is plain http on a non-loopback address, or http was not allowed. */
  | 'insecure_issuer';

/** Every failure of sign-in and token handling; `code` is stable, `message` is for the user. */
export class AuthError extends Error {
  readonly code: AuthErrorCode;
  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthError';
    this.code = code;
  }
}

/** Maps what openid-client and fetch throw to an AuthError, keeping the original as `cause`. */
export function toAuthError(error: unknown, fallback: AuthErrorCode, doing: string, issuer: string): AuthError {
  if (error instanceof AuthError) return error;
  if (isNetworkFailure(error)) {
    return new AuthError(
      'idp_unreachable',
      `Could not reach the sign-in server ${issuer} while ${doing}. Check the network (VPN, proxy) and try again.`,
      {
        cause: error,
      },
    );
  }
  if (error instanceof oidc.ResponseBodyError || error instanceof oidc.AuthorizationResponseError) {
    const detail = error.error_description ? `${error.error}: ${error.error_description}` : error.error;
    if (error.error === 'access_denied' || error.error === 'login_required' || error.error === 'consent_required') {
      return new AuthError('login_denied', `The sign-in server refused the sign-in (${detail}).`, { cause: error });
    }
    return new AuthError(fallback, `The sign-in server answered "${detail}" while ${doing}.`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AuthError(fallback, `Signing in failed while ${doing}: ${message}`, { cause: error });
}

function isNetworkFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError') return true;
  if (error instanceof TypeError && error.message === 'fetch failed') return true;
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|UND_ERR_)/.test(code)
  );
}

/** openid-client says `invalid_grant` when a refresh token is dead for good. */
export function isDeadGrant(error: unknown): boolean {
  return error instanceof oidc.ResponseBodyError && error.error === 'invalid_grant';
}

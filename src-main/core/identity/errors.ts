export type IdentityErrorCode = 'identity_unavailable' | 'shared_secret_missing';

/** The identity a server's settings ask for cannot be produced; the call must not go out without it. */
export class IdentityError extends Error {
  readonly code: IdentityErrorCode;
  constructor(code: IdentityErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdentityError';
    this.code = code;
  }
}

export type CredentialErrorCode =
  'credential_missing' | 'unknown_credential' | 'org_secrets_unavailable' | 'token_exchange_failed';

/** A credential a server needs cannot be produced (or set); the call must not go out without it. */
export class CredentialError extends Error {
  readonly code: CredentialErrorCode;
  constructor(code: CredentialErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialError';
    this.code = code;
  }
}

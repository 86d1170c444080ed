export type SecretStoreErrorCode = 'secret_store_corrupt' | 'secret_store_unreadable' | 'secret_store_decrypt_failed';

/** The secret store could not be read or written; the message says which file and what to do. */
export class SecretStoreError extends Error {
  readonly code: SecretStoreErrorCode;
  constructor(code: SecretStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretStoreError';
    this.code = code;
  }
}

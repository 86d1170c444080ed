export type PolicyErrorCode =
  | 'no_token' // getAccessToken failed: usually signed out
  | 'unreachable' // network error or timeout talking to the policy endpoint
  | 'http_status' // the endpoint answered with an unexpected status
  | 'invalid_document' // not JSON, or fails the schema
  | 'unsigned' // a signature is required and the document has none
  | 'bad_signature' // signed, but not by an org key, or tampered with
  | 'rollback' // a signed document older than the one in force
  | 'org_config_invalid' // managed config, saved org or discovery document has wrong fields
  | 'org_config_unreadable' // the managed config file exists but cannot be read or parsed
  | 'discovery_failed'; // <org>/.well-known/gatehouse could not be fetched

/** Errors of the policy module: a stable `code` for programs, a message that tells the user what to do. */
export class PolicyError extends Error {
  readonly code: PolicyErrorCode;
  constructor(code: PolicyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PolicyError';
    this.code = code;
  }
}

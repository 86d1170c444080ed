export type OrgServerErrorCode =
  'policy_invalid' | 'policy_unreadable' | 'sign_key_invalid' | 'issuer_unreachable' | 'secrets_unreadable';

export class OrgServerError extends Error {
  readonly code: OrgServerErrorCode;
  constructor(code: OrgServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OrgServerError';
    this.code = code;
  }
}

import type { JWK } from 'jose';
import { PolicyError } from './errors.ts';
import type { PolicyDocument } from './schema.ts';
import { isCompactJws, verifyPolicySignature } from './signature.ts';
import { validatePolicyText } from './validate.ts';

export type DecodedPolicy = { policy: PolicyDocument; signed: boolean; payload: string };

export type DecodeOptions = { signingKeys?: readonly JWK[]; requireSignature?: boolean };

/**
 * Turns a response body (policy JSON, or a compact JWS of it) into a checked document. Everything
 * that can make a document unacceptable is decided here, so the network path and the disk cache
 * apply exactly the same rules.
 */
export async function decodePolicyBody(body: string, options: DecodeOptions = {}): Promise<DecodedPolicy> {
  const signed = isCompactJws(body);
  if (!signed && options.requireSignature) {
    throw new PolicyError('unsigned', 'the policy is not signed, but the org requires a signed policy');
  }
  const payload = signed ? await verifyPolicySignature(body, options.signingKeys ?? []) : body;
  const result = validatePolicyText(payload);
  if (!result.ok) {
    const shown = result.errors.slice(0, 5).map((e) => `${e.path}: ${e.message}`);
    const more = result.errors.length > shown.length ? ` (and ${result.errors.length - shown.length} more)` : '';
    throw new PolicyError('invalid_document', `the policy document is invalid: ${shown.join('; ')}${more}`);
  }
  return { policy: result.policy, signed, payload };
}

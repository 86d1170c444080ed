import { PolicyError } from './errors.ts';

/**
 * A policy is kilobytes (a thousand servers are ~100 KB); a body far past that is a broken or
 * hostile endpoint, and reading it whole on every poll would hold hundreds of MB. Found by
 * test/hardening/org-faults.test.ts (a 256 MB body grew the gateway by ~500 MB).
 */
const MAX_POLICY_BYTES = 16 * 1024 * 1024;

/** The body as text, or a PolicyError as soon as more than `limit` bytes arrived (the rest is not read). */
export async function readPolicyBody(response: Response, limit = MAX_POLICY_BYTES): Promise<string> {
  if (Number(response.headers.get('content-length') ?? 0) > limit || !response.body) {
    if (response.body) await response.body.cancel().catch(() => {});
    else return '';
    throw tooLarge(limit);
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(limit: number): PolicyError {
  return new PolicyError(
    'invalid_document',
    `the policy endpoint sent more than ${limit / 1024 / 1024} MB; a policy is far smaller, so it was not read (ask IT to check the policy server)`,
  );
}

import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { JWK } from 'jose';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { decodePolicyBody } from './decode.ts';
import type { PolicyDocument } from './schema.ts';

/**
 * The last-known-good policy on disk: the body exactly as the endpoint sent it (so a signed policy
 * is checked again on load; an edited cache file cannot grant anything) and when the endpoint last
 * confirmed it, which is what the staleness bound counts from, across restarts too.
 */
const CACHE_FILE = 'policy-cache.json';

const cacheEntrySchema = z.object({
  format: z.literal(1),
  endpoint: z.string(),
  etag: z.string().nullable(),
  confirmedAt: z.number(),
  body: z.string(),
});

export type PolicyCacheEntry = z.infer<typeof cacheEntrySchema>;

export function policyCacheFile(cacheDir: string): string {
  return path.join(cacheDir, CACHE_FILE);
}

/** The cached entry for `endpoint`, or undefined when there is none (or it belongs to another org). */
export async function readPolicyCache(cacheDir: string, endpoint: string): Promise<PolicyCacheEntry | undefined> {
  let text: string;
  try {
    text = await fs.readFile(policyCacheFile(cacheDir), 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = cacheEntrySchema.safeParse(json);
  return parsed.success && parsed.data.endpoint === endpoint ? parsed.data : undefined;
}

export async function writePolicyCache(cacheDir: string, entry: PolicyCacheEntry): Promise<void> {
  // 0600: the policy names internal servers and URLs; other users of the machine have no business reading it.
  await writeFileAtomic(policyCacheFile(cacheDir), `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

/** Forget the last-known-good policy, e.g. on sign-out or when the user leaves the org. */
export async function clearPolicyCache(cacheDir: string): Promise<void> {
  await fs.rm(policyCacheFile(cacheDir), { force: true });
}

/**
 * The last-known-good policy for `endpoint`, checked exactly as the sync client checks it (schema,
 * signature), without starting a sync: for commands such as `gatehouse login` that only need to
 * read it. Undefined when there is none or it does not pass.
 */
export async function readCachedPolicy(options: {
  cacheDir: string;
  endpoint: string;
  signingKeys?: readonly JWK[];
  requireSignature?: boolean;
}): Promise<PolicyDocument | undefined> {
  const entry = await readPolicyCache(options.cacheDir, options.endpoint);
  if (!entry) return undefined;
  try {
    return (await decodePolicyBody(entry.body, options)).policy;
  } catch {
    return undefined;
  }
}

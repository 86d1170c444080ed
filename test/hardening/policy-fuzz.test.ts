// Property-based fuzzing of the policy parser (decodePolicyBody: JSON or a signed JWS of it).
// It never throws anything but a PolicyError, a corrupted document never grants more than the
// document it was corrupted from, and a signed document changed in any byte is never accepted.
import fs from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decide,
  decodePolicyBody,
  PolicyError,
  signPolicy,
  type DecisionKind,
  type PolicyDocument,
} from '../../src-main/core/policy/index.ts';

/** Runs per property; the README's reliability section quotes them. */
const RUNS = 1000;

const ACME = JSON.parse(
  fs.readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'policies', 'acme.json'), 'utf8'),
) as Record<string, unknown>;

async function decodeOutcome(body: string, options = {}): Promise<PolicyDocument | PolicyError> {
  try {
    return (await decodePolicyBody(body, options)).policy;
  } catch (error) {
    // Anything else (TypeError, RangeError, a jose error) is a parser bug: let it fail the property.
    if (error instanceof PolicyError) return error;
    throw error;
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value in the document, so a mutation can land anywhere. */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const here = prefix.length ? [prefix] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => pathsOf(v, [...prefix, i]))];
  if (value && typeof value === 'object') {
    return [...here, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
  }
  return here;
}

type Corruption =
  | { kind: 'wrong-type'; value: Json }
  | { kind: 'misspell-key'; suffix: string }
  | { kind: 'change-case' }
  | { kind: 'unknown-key'; key: string; value: Json };

/**
 * Corruptions, not edits: a value of the wrong type, a misspelt key, an enum in the wrong case, an
 * unknown key. A strict parser refuses them or (if harmless) reads the same grants.
 */
const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  fc.record({
    kind: fc.constant('wrong-type' as const),
    value: fc.constantFrom<Json>(null, 0, 42, true, false, {}, [], '*', ['*']),
  }),
  fc.record({ kind: fc.constant('misspell-key' as const), suffix: fc.constantFrom('s', '_', 'X', ' ') }),
  fc.record({ kind: fc.constant('change-case' as const) }),
  fc.record({
    kind: fc.constant('unknown-key' as const),
    key: fc.constantFrom('allowAll', 'tool', 'server', 'Effect', '__proto__', 'constructor', 'extends'),
    value: fc.constantFrom<Json>(true, '*', ['*']),
  }),
);

/** Fields whose values are keywords: 'Deny' is a typo there, while a pattern in capitals is an edit. */
const ENUM_KEYS = new Set(['effect', 'mode', 'auditLevel', 'type']);

function corrupt(document: Json, at: (string | number)[], how: Corruption): Json {
  const copy = structuredClone(document) as Json;
  const parentPath = at.slice(0, -1);
  const last = at[at.length - 1]!;
  let parent = copy as Record<string | number, Json>;
  for (const key of parentPath) parent = parent[key] as Record<string | number, Json>;
  const current = parent[last]!;
  if (how.kind === 'wrong-type') {
    // Same type as before is not a corruption (it could be a legitimate edit).
    if (typeof current === typeof how.value && Array.isArray(current) === Array.isArray(how.value)) return copy;
    parent[last] = how.value;
  } else if (how.kind === 'misspell-key' && typeof last === 'string') {
    delete parent[last];
    parent[`${last}${how.suffix}`] = current;
  } else if (how.kind === 'change-case' && ENUM_KEYS.has(String(last)) && typeof current === 'string') {
    parent[last] = current.toUpperCase();
  } else if (how.kind === 'unknown-key' && current && typeof current === 'object' && !Array.isArray(current)) {
    Object.defineProperty(current, how.key, { value: how.value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

const SUBJECTS = [
  { sub: 'a', groups: ['engineering'], department: 'Finance', email: 'a@example.com' },
  { sub: 'b', groups: ['contractors'], email: 'b@contractor.test' },
  { sub: 'c', groups: ['offboarding', 'engineering'], email: 'c@example.com' },
  { sub: 'd', groups: [], email: 'd@example.com' },
];
const REQUESTS: { server: string; kind: DecisionKind; name?: string }[] = [];
for (const server of ['github', 'jira', 'filesystem', 'finance-db', 'unknown']) {
  REQUESTS.push({ server, kind: 'server' });
  for (const name of ['get_issue', 'delete_repo', 'db_destroy', 'write_file', 'query']) {
    REQUESTS.push({ server, kind: 'tool', name });
  }
  REQUESTS.push({ server, kind: 'resource', name: 'file:///srv/shared/secrets/key' });
}

function allowed(policy: PolicyDocument): Set<string> {
  const allows = new Set<string>();
  for (const claims of SUBJECTS) {
    for (const request of REQUESTS) {
      if (decide({ policy, claims, ...request }).allow) allows.add(`${claims.sub} ${JSON.stringify(request)}`);
    }
  }
  return allows;
}

describe('the policy parser under fuzzing', () => {
  it(`never throws anything but PolicyError on ${RUNS} random bodies (text, JSON, JWS-shaped)`, async () => {
    const jwsPart = fc.string({ unit: fc.constantFrom(...'AZaz09-_'.split('')), maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.tuple(jwsPart, jwsPart, jwsPart).map((parts) => parts.join('.')),
          fc
            .jsonValue()
            .map(
              (v) =>
                `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(v)).toString('base64url')}.x`,
            ),
        ),
        fc.boolean(),
        async (body, requireSignature) => {
          const outcome = await decodeOutcome(body, { requireSignature });
          // Random bodies are essentially never valid policies; when one is, it must at least be a document.
          if (!(outcome instanceof PolicyError)) expect(outcome.version).toBe(1);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(`a corrupted document (${RUNS} corruptions of the acme fixture) is refused or grants nothing more`, async () => {
    const original = await decodeOutcome(JSON.stringify(ACME));
    if (original instanceof PolicyError) throw original;
    const base = allowed(original);
    const paths = pathsOf(ACME as Json);
    let refused = 0;
    let applied = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), corruption, async (at, how) => {
        const corrupted = JSON.stringify(corrupt(ACME as Json, at, how));
        if (corrupted !== JSON.stringify(ACME)) applied++;
        const outcome = await decodeOutcome(corrupted);
        if (outcome instanceof PolicyError) {
          refused++;
          expect(outcome.code).toBe('invalid_document');
          return;
        }
        const widened = [...allowed(outcome)].filter((a) => !base.has(a));
        expect(widened, `${how.kind} at ${at.join('.')}`).toEqual([]);
      }),
      { numRuns: RUNS },
    );
    console.log(
      `policy corruptions: ${applied} changed the document, ${refused} refused, the rest granted nothing more`,
    );
    // Most corruptions are refused outright; the accepted ones are harmless (a title in capitals).
    expect(refused).toBeGreaterThan(applied * 0.6);
  });

  it(`a signed policy changed in any byte is refused (${RUNS} single-byte tamperings)`, async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'org-1', alg: 'ES256' };
    const jws = await signPolicy(JSON.stringify(ACME), privateKey, { alg: 'ES256', kid: 'org-1' });
    expect(await decodeOutcome(jws, { signingKeys: [jwk], requireSignature: true })).not.toBeInstanceOf(PolicyError);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: jws.length - 1 }),
        fc.constantFrom(...alphabet.split('')),
        async (index, char) => {
          const tampered = jws.slice(0, index) + char + jws.slice(index + 1);
          fc.pre(tampered !== jws);
          const outcome = await decodeOutcome(tampered, { signingKeys: [jwk], requireSignature: true });
          // base64url has spare bits: a change in the last character may decode to the same bytes.
          if (!(outcome instanceof PolicyError)) {
            expect(Buffer.from(tampered.split('.')[2] ?? '', 'base64url')).toEqual(
              Buffer.from(jws.split('.')[2]!, 'base64url'),
            );
            return;
          }
          expect(['bad_signature', 'invalid_document', 'unsigned']).toContain(outcome.code);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

import { hash } from 'node:crypto';

/** The hash that starts every chain: the first record of a new log points at it. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, `undefined` members dropped and
 * non-finite numbers written as null (as JSON.stringify does). Parsing the output and
 * canonicalising again yields the same string, which is what lets anyone re-check a record's hash
 * from the stored line alone.
 *
 * Fast path: a copy with keys inserted in sorted order, serialised by the native JSON.stringify.
 * Objects with integer-like keys ("0", "10") defeat that, because JavaScript enumerates those
 * first in numeric order whatever the insertion order; they take the slower string builder.
 */
function canonicalJson(value: unknown): string {
  switch (keyOrder(value, 0)) {
    case 'sorted':
      return JSON.stringify(value);
    case 'unsorted':
      return JSON.stringify(sortedCopy(value));
    default:
      return buildCanonical(value);
  }
}

const INTEGER_KEY = /^(?:0|[1-9]\d*)$/;
const MAX_DEPTH = 200;

/**
 * Whether JSON.stringify(value) already is canonical ('sorted': the records this module builds
 * are), needs a sorted copy first ('unsorted'), or needs the string builder ('other': integer-like
 * keys, toJSON, bigint, or nesting too deep for a copy).
 */
function keyOrder(value: unknown, depth: number): 'sorted' | 'unsorted' | 'other' {
  if (typeof value !== 'object' || value === null) return typeof value === 'bigint' ? 'other' : 'sorted';
  if (depth > MAX_DEPTH) return 'other';
  let result: 'sorted' | 'unsorted' = 'sorted';
  if (Array.isArray(value)) {
    for (const item of value) {
      const order = keyOrder(item, depth + 1);
      if (order === 'other') return order;
      if (order === 'unsorted') result = order;
    }
    return result;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return 'other';
  let previous: string | undefined;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (INTEGER_KEY.test(key)) return 'other';
    if (previous !== undefined && previous > key) result = 'unsorted';
    previous = key;
    const order = keyOrder((value as Record<string, unknown>)[key], depth + 1);
    if (order === 'other') return order;
    if (order === 'unsorted') result = order;
  }
  return result;
}

function sortedCopy(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(sortedCopy);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortedCopy((value as Record<string, unknown>)[key]);
  return out;
}

function buildCanonical(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const item: unknown = value[i];
          out +=
            item === undefined || typeof item === 'function' || typeof item === 'symbol'
              ? 'null'
              : buildCanonical(item);
        }
        return out + ']';
      }
      const object = value as Record<string, unknown>;
      if (typeof (object as { toJSON?: unknown }).toJSON === 'function') {
        return buildCanonical((object as { toJSON(): unknown }).toJSON());
      }
      const keys = Object.keys(object).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const member = object[key];
        if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
        if (!first) out += ',';
        first = false;
        out += JSON.stringify(key) + ':' + buildCanonical(member);
      }
      return out + '}';
    }
    case 'bigint':
      return JSON.stringify(value.toString());
    default:
      return 'null';
  }
}

/** One-shot `crypto.hash` (Node >= 21.7): no Hash object per record, about 3x cheaper for a small line. */
function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/**
 * The hash of a record: sha256 over the canonical JSON of every field except `hash` itself
 * (`prevHash` included, which is what chains the records).
 */
export function recordHash(record: Record<string, unknown>): string {
  const { hash: _ignored, ...rest } = record;
  return sha256Hex(canonicalJson(rest));
}

/**
 * The stored line: the canonical body with `hash` appended as the last member. Verification does
 * not depend on member order (it re-canonicalises), so appending saves a second serialisation.
 */
export function recordLine(recordWithoutHash: Record<string, unknown>): { line: string; hash: string } {
  const body = canonicalJson(recordWithoutHash);
  const hash = sha256Hex(body);
  return { line: `${body.slice(0, -1)},"hash":"${hash}"}\n`, hash };
}

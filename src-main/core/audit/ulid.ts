import { randomFillSync } from 'node:crypto';

/**
 * ULIDs (https://github.com/ulid/spec): 48-bit millisecond time + 80 random bits in Crockford
 * base32, so ids sort by time as plain strings. Monotonic within one generator: ids made in the
 * same millisecond (or while the clock steps back) increment the random part instead of drawing a
 * new one, which keeps append order and id order the same.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const HALF = 2 ** 40;

export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function createUlidGenerator(now: () => number): () => string {
  let lastTime = -1;
  let high = 0;
  let low = 0;
  const pool = Buffer.alloc(4096);
  let poolOffset = pool.length;

  function draw40(): number {
    if (poolOffset + 5 > pool.length) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    const value = pool.readUIntBE(poolOffset, 5);
    poolOffset += 5;
    return value;
  }

  return () => {
    const time = Math.floor(now());
    if (time > lastTime) {
      lastTime = time;
      high = draw40();
      low = draw40();
    } else {
      low += 1;
      if (low >= HALF) {
        low = 0;
        high += 1;
        // 2^80 ids in one millisecond cannot happen; wrapping keeps the function total.
        if (high >= HALF) high = 0;
      }
    }
    return encode(lastTime, 10) + encode(high, 8) + encode(low, 8);
  };
}

/** The millisecond time a ULID was made at. */
export function ulidTime(id: string): number {
  let time = 0;
  for (let i = 0; i < 10; i++) time = time * 32 + ALPHABET.indexOf(id.charAt(i));
  return time;
}

function encode(value: number, length: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < length; i++) {
    const digit = rest % 32;
    out = ALPHABET.charAt(digit) + out;
    rest = (rest - digit) / 32;
  }
  return out;
}

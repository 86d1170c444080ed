import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nestedDeeperThan } from '../../src-main/core/listener/nesting.ts';

/** The depth JSON.parse sees, by walking the parsed value (shallow values only: it recurses). */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (value && typeof value === 'object') return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

describe('nestedDeeperThan()', () => {
  it('agrees with the parsed depth for 1000 random JSON documents, brackets in strings included', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), fc.integer({ min: 0, max: 12 }), (value, max) => {
        const text = JSON.stringify(value);
        // Below 2 × max characters the scan is skipped on purpose: such text cannot be that deep.
        expect(nestedDeeperThan(text, max)).toBe(depthOf(value) > max);
      }),
      { numRuns: 1000 },
    );
  });

  it('counts nothing inside strings, escaped quotes included', () => {
    expect(nestedDeeperThan(JSON.stringify({ s: '[[[[[[[[[[\\"[[[[[[' }), 2)).toBe(false);
    expect(nestedDeeperThan('[[[[[[[[[[[[1]]]]]]]]]]]]', 11)).toBe(true);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, matchesGlob, policyDocumentSchema } from '../../src-main/core/policy/index.ts';
import type { DecisionKind, PolicyDocument, PolicyRule } from '../../src-main/core/policy/index.ts';

// Small alphabets so that random rules and random requests actually meet.
const serverIds = ['alpha', 'beta', 'gamma'];
const names = ['read', 'read_all', 'write', 'delete_x', 'file:///a/b', 'p-1'];
const groupNames = ['eng', 'ops', 'sales'];

const pattern = (values: string[]) =>
  fc.oneof(
    fc.constantFrom(...values),
    fc.constant('*'),
    fc.constantFrom(...values).map((v) => `${v.slice(0, 2)}*`),
  );
const patterns = (values: string[]) => fc.array(pattern(values), { minLength: 1, maxLength: 2 });

const rule: fc.Arbitrary<PolicyRule> = fc.record(
  {
    effect: fc.constantFrom('allow' as const, 'deny' as const),
    when: fc.record({ groups: patterns(groupNames) }, { requiredKeys: [] }),
    servers: patterns(serverIds),
    tools: patterns(names),
    resources: patterns(names),
    prompts: patterns(names),
  },
  { requiredKeys: ['effect', 'servers'] },
);

const policy: fc.Arbitrary<PolicyDocument> = fc
  .record({
    rules: fc.array(rule, { maxLength: 6 }),
    modes: fc.array(fc.constantFrom('default-on' as const, 'default-off' as const, 'locked-on' as const), {
      minLength: 3,
      maxLength: 3,
    }),
  })
  .map(({ rules, modes }) =>
    policyDocumentSchema.parse({
      version: 1,
      policyVersion: 'p',
      issuedAt: '2025-01-01T00:00:00Z',
      servers: Object.fromEntries(serverIds.map((id, i) => [id, { command: 'x', mode: modes[i] }])),
      rules,
    }),
  );

const request = fc.record({
  server: fc.constantFrom(...serverIds),
  kind: fc.constantFrom<DecisionKind>('server', 'tool', 'resource', 'prompt'),
  name: fc.constantFrom(...names),
  claims: fc.record({ groups: fc.subarray(groupNames) }),
  toggles: fc.dictionary(fc.constantFrom(...serverIds), fc.boolean()),
});

const runs = { numRuns: 500 };

describe('decide() properties', () => {
  it('deny wins: a matching deny rule anywhere in the list denies, whatever allows exist', () => {
    fc.assert(
      fc.property(policy, request, fc.nat(), fc.boolean(), (p, r, at, wholeServer) => {
        const target = r.kind === 'server' || wholeServer ? {} : { [`${r.kind}s`]: [r.name] };
        const denyRule: PolicyRule = { effect: 'deny', when: { groups: ['*'] }, servers: [r.server], ...target };
        const allowRule: PolicyRule = { effect: 'allow', servers: ['*'] };
        const rules = [allowRule, ...p.rules];
        rules.splice(at % (rules.length + 1), 0, denyRule);
        const claims = { groups: [...r.claims.groups, 'eng'] };
        const decision = decide({ ...r, claims, policy: { ...p, rules } });
        expect(decision.allow).toBe(false);
        expect(decision.rule?.effect).toBe('deny');
        expect(decision.reason).toContain('denies');
      }),
      runs,
    );
  });

  it('default deny: without an allow rule that matches, nothing is allowed', () => {
    fc.assert(
      fc.property(policy, request, (p, r) => {
        const onlyDenies = { ...p, rules: p.rules.filter((x) => x.effect === 'deny') };
        expect(decide({ ...r, policy: onlyDenies }).allow).toBe(false);
        // Allow rules for a group nobody has change nothing either.
        const foreign = {
          ...p,
          rules: p.rules.map((x) => (x.effect === 'allow' ? { ...x, when: { groups: ['nobody'] } } : x)),
        };
        expect(decide({ ...r, policy: foreign }).allow).toBe(false);
      }),
      runs,
    );
  });

  it('every allow cites an allow rule that covers the request, every rule denial a deny rule', () => {
    fc.assert(
      fc.property(policy, request, (p, r) => {
        const decision = decide({ ...r, policy: p });
        if (decision.allow) {
          expect(decision.rule?.effect).toBe('allow');
          const cited = p.rules[decision.rule!.index]!;
          expect(cited.servers.some((s) => matchesGlob(s, r.server))).toBe(true);
        } else if (decision.rule) {
          expect(decision.rule.effect).toBe('deny');
          expect(p.rules[decision.rule.index]!.effect).toBe('deny');
        }
      }),
      runs,
    );
  });

  it('toggles only ever take away: nothing denied with every server on becomes allowed by toggling', () => {
    fc.assert(
      fc.property(policy, request, (p, r) => {
        const allOn = Object.fromEntries(serverIds.map((id) => [id, true]));
        if (!decide({ ...r, policy: p, toggles: allOn }).allow) {
          expect(decide({ ...r, policy: p }).allow).toBe(false);
        }
      }),
      runs,
    );
  });

  it('rule order does not change whether something is allowed', () => {
    fc.assert(
      fc.property(policy, request, (p, r) => {
        const reversed = { ...p, rules: [...p.rules].reverse() };
        expect(decide({ ...r, policy: reversed }).allow).toBe(decide({ ...r, policy: p }).allow);
      }),
      runs,
    );
  });
});

describe('matchesGlob()', () => {
  it('treats every character other than * and ? literally', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii' }), (text) => {
        const literal = text.replace(/[*?]/g, '');
        expect(matchesGlob(literal, literal)).toBe(true);
        expect(matchesGlob(literal, `${literal}x`)).toBe(false);
        expect(matchesGlob(`${literal}*`, `${literal}anything/at all`)).toBe(true);
      }),
      runs,
    );
  });

  it('? matches exactly one character', () => {
    expect(matchesGlob('a?c', 'abc')).toBe(true);
    expect(matchesGlob('a?c', 'ac')).toBe(false);
    expect(matchesGlob('a?c', 'abbc')).toBe(false);
  });
});

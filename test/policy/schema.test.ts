import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { policyJsonSchema, validatePolicy, validatePolicyText } from '../../src-main/core/policy/index.ts';

const fixture = (name: string) => fs.readFileSync(new URL(`../fixtures/policies/${name}`, import.meta.url), 'utf8');

describe('policy JSON Schema', () => {
  it('docs/schema/policy.schema.json is what the zod schema generates (regenerate: npm run policy:schema)', () => {
    const committed = JSON.parse(
      fs.readFileSync(new URL('../../docs/schema/policy.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(policyJsonSchema());
  });
});

describe('validatePolicy()', () => {
  it('accepts the fixtures IT would write', () => {
    for (const name of ['acme.json', 'minimal.json']) {
      const result = validatePolicyText(fixture(name));
      expect(result.ok, name).toBe(true);
    }
  });

  it('reports every error of a broken document, each at its JSON path', () => {
    const result = validatePolicyText(fixture('invalid.json'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toEqual([
      '$.policyVersion',
      '$.issuedAt',
      '$.servers.nothing',
      '$.servers.fs.mode',
      '$.rules[0].when.group',
      '$.rules[1].effect',
      '$.rules[1].servers',
      '$.rules[1].tool',
      '$.servers.github.headers.Authorization',
    ]);
    expect(result.errors.find((e) => e.path === '$.rules[1].tool')?.message).toBe(
      'unknown field "tool" (did you mean "tools"?)',
    );
  });

  it('rejects a newer format version with a message that says what to do', () => {
    const result = validatePolicy({ ...JSON.parse(fixture('minimal.json')), version: 2 });
    expect(result).toMatchObject({
      ok: false,
      errors: [{ path: '$.version', message: expect.stringContaining('must be 1') }],
    });
  });

  it('names server ids that cannot be used in URLs and quotes odd keys in the path', () => {
    const result = validatePolicy({
      ...JSON.parse(fixture('minimal.json')),
      servers: { 'my server': { command: 'x' } },
    });
    expect(result).toMatchObject({
      ok: false,
      errors: [{ path: '$.servers["my server"]', message: expect.stringContaining('server ids') }],
    });
  });

  it('catches a header set from two places and identity on a reserved header', () => {
    const doc = {
      ...JSON.parse(fixture('minimal.json')),
      servers: {
        api: {
          url: 'https://api.example.com/mcp',
          credentials: [{ header: 'Authorization', secretRef: 'api-token', prefix: 'Bearer ' }],
          identity: { accessToken: { audience: 'api' }, claimHeaders: { email: 'Cookie' } },
        },
      },
    };
    const result = validatePolicy(doc);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      expect.objectContaining({
        path: '$.servers.api.credentials[0].header',
        message: expect.stringContaining('already set by identity.accessToken'),
      }),
      expect.objectContaining({
        path: '$.servers.api.identity.claimHeaders.email',
        message: expect.stringContaining('Gatehouse sets it itself'),
      }),
    ]);
  });

  it('warns, without failing, about rules that match no server and servers nobody may use', () => {
    const doc = {
      ...JSON.parse(fixture('minimal.json')),
      servers: { a: { command: 'x' } },
      rules: [{ effect: 'deny', servers: ['b*'] }],
    };
    const result = validatePolicy(doc);
    expect(result).toMatchObject({
      ok: true,
      warnings: [
        { path: '$.rules[0].servers[0]', message: 'matches no server in "servers"' },
        { path: '$.servers.a', message: expect.stringContaining('nobody can use it') },
      ],
    });
  });

  it('reports a JSON syntax error instead of throwing', () => {
    expect(validatePolicyText('{ "version": 1,')).toMatchObject({
      ok: false,
      errors: [{ path: '$', message: expect.stringContaining('not valid JSON') }],
    });
  });
});

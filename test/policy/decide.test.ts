import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decide, filterList, listServerAccess, validatePolicy } from '../../src-main/core/policy/index.ts';
import type { DecisionInput, PolicyDocument, UserClaims } from '../../src-main/core/policy/index.ts';

function loadFixture(name: string): PolicyDocument {
  const result = validatePolicy(
    JSON.parse(fs.readFileSync(new URL(`../fixtures/policies/${name}`, import.meta.url), 'utf8')),
  );
  if (!result.ok) throw new Error(`fixture ${name} is invalid: ${JSON.stringify(result.errors)}`);
  return result.policy;
}

const acme = loadFixture('acme.json');

const users = {
  engineer: { sub: 'u1', email: 'Eve@Example.com', email_verified: true, groups: ['engineering'] },
  contractor: { sub: 'u2', email: 'carl@contractor.io', groups: ['engineering', 'contractors'] },
  financeAnalyst: { sub: 'u3', email: 'fay@example.com', department: 'Finance', groups: ['finance'] },
  unverifiedFinance: { sub: 'u4', email: 'mallory@example.com', email_verified: false, department: 'Finance' },
  outsider: { sub: 'u5', email: 'oscar@example.org', groups: ['sales'] },
  leaving: { sub: 'u6', email: 'lee@example.com', groups: ['engineering', 'offboarding'] },
} satisfies Record<string, UserClaims>;

type Row = [
  string,
  Partial<DecisionInput> & Pick<DecisionInput, 'server' | 'kind'>,
  UserClaims,
  boolean,
  string | undefined,
];

describe('decide() over the acme fixture', () => {
  const rows: Row[] = [
    [
      'everyone may read GitHub',
      { server: 'github', kind: 'tool', name: 'get_issue' },
      users.outsider,
      true,
      'everyone-github-read',
    ],
    [
      'a read-only user may not write',
      { server: 'github', kind: 'tool', name: 'create_issue' },
      users.outsider,
      false,
      undefined,
    ],
    [
      'an engineer may write',
      { server: 'github', kind: 'tool', name: 'create_issue' },
      users.engineer,
      true,
      'engineering',
    ],
    [
      'deny wins over the engineering allow',
      { server: 'github', kind: 'tool', name: 'delete_repo' },
      users.engineer,
      false,
      'no-destructive',
    ],
    [
      'suffix glob denies',
      { server: 'filesystem', kind: 'tool', name: 'tree_destroy' },
      users.engineer,
      false,
      'no-destructive',
    ],
    [
      'an outsider may use the GitHub server (item allow)',
      { server: 'github', kind: 'server' },
      users.outsider,
      true,
      'everyone-github-read',
    ],
    [
      'an item-level allow does not grant prompts',
      { server: 'github', kind: 'prompt', name: 'summarize' },
      users.outsider,
      false,
      undefined,
    ],
    [
      'an item-level deny leaves the server',
      { server: 'filesystem', kind: 'server' },
      users.contractor,
      true,
      'engineering',
    ],
    [
      'contractors cannot read secrets',
      { server: 'filesystem', kind: 'resource', name: 'file:///srv/shared/secrets/db.txt' },
      users.contractor,
      false,
      'contractors-no-secrets',
    ],
    [
      'contractors read other files',
      { server: 'filesystem', kind: 'resource', name: 'file:///srv/shared/readme.md' },
      users.contractor,
      true,
      'engineering',
    ],
    [
      'team + email domain both match',
      { server: 'finance-db', kind: 'tool', name: 'query' },
      users.financeAnalyst,
      true,
      'finance',
    ],
    [
      'an unverified email never matches',
      { server: 'finance-db', kind: 'tool', name: 'query' },
      users.unverifiedFinance,
      false,
      undefined,
    ],
    ['a whole-server deny takes the server', { server: 'github', kind: 'server' }, users.leaving, false, 'offboarded'],
    [
      'a whole-server deny covers its items',
      { server: 'github', kind: 'tool', name: 'get_issue' },
      users.leaving,
      false,
      'offboarded',
    ],
    ['a server outside the policy is denied', { server: 'slack', kind: 'server' }, users.engineer, false, undefined],
    [
      'a personal server is denied when the policy says nothing',
      { server: 'mine', kind: 'server', personal: true },
      users.engineer,
      false,
      undefined,
    ],
    [
      'default-off stays off until toggled',
      { server: 'jira', kind: 'tool', name: 'get_ticket' },
      users.engineer,
      false,
      undefined,
    ],
    [
      'default-off toggled on',
      { server: 'jira', kind: 'tool', name: 'get_ticket', toggles: { jira: true } },
      users.engineer,
      true,
      'engineering',
    ],
    [
      'default-on toggled off',
      { server: 'filesystem', kind: 'server', toggles: { filesystem: false } },
      users.engineer,
      false,
      undefined,
    ],
    [
      'locked-on ignores toggles',
      { server: 'github', kind: 'tool', name: 'get_issue', toggles: { github: false } },
      users.engineer,
      true,
      'everyone-github-read',
    ],
    [
      'a toggle cannot turn on what policy denies',
      { server: 'jira', kind: 'server', toggles: { jira: true } },
      users.outsider,
      false,
      undefined,
    ],
  ];

  it.each(rows)('%s', (_title, request, claims, allow, ruleId) => {
    const decision = decide({ policy: acme, claims, ...request });
    expect(decision.allow).toBe(allow);
    expect(decision.rule?.id).toBe(ruleId);
    expect(decision.reason).toMatch(/\.$/);
  });

  it('a rule denial names the rule, its description and the contact', () => {
    const decision = decide({
      policy: acme,
      claims: users.engineer,
      server: 'github',
      kind: 'tool',
      name: 'delete_repo',
    });
    expect(decision).toEqual({
      allow: false,
      rule: { index: 2, id: 'no-destructive', effect: 'deny' },
      contact: 'it-help@example.com',
      reason:
        'The org policy denies tool "delete_repo" on server "github" (rule "no-destructive", rules[2]): Destructive tools are disabled for everyone while we pilot Gatehouse. Ask it-help@example.com if you need access.',
    });
  });

  it('default deny says no rule allows it, and a rule contact overrides the document contact', () => {
    const decision = decide({ policy: acme, claims: users.outsider, server: 'finance-db', kind: 'server' });
    expect(decision.rule).toBeUndefined();
    expect(decision.reason).toBe(
      'No org policy rule allows server "finance-db" for you, so it is denied by default. Ask it-help@example.com if you need access.',
    );
    const ruleContact = decide({
      policy: { ...acme, rules: [{ effect: 'deny', servers: ['*'], contact: 'security@example.com' }] },
      claims: users.engineer,
      server: 'github',
      kind: 'server',
    });
    expect(ruleContact.contact).toBe('security@example.com');
    expect(ruleContact.reason).toBe(
      'The org policy denies server "github" (rule rules[0]). Ask security@example.com if you need access.',
    );
  });

  it('a toggled-off server says how to turn it on, without blaming the policy', () => {
    const decision = decide({ policy: acme, claims: users.engineer, server: 'jira', kind: 'tool', name: 'x' });
    expect(decision.reason).toBe(
      'Server "jira" is turned off in Gatehouse; turn it on in the Gatehouse window to use tool "x" on server "jira".',
    );
    expect(decision.contact).toBeUndefined();
  });

  it('personal servers: allowed when the policy allows them, org deny rules still apply', () => {
    const policy: PolicyDocument = {
      ...acme,
      allowPersonalServers: true,
    };
    expect(
      decide({ policy, claims: users.engineer, server: 'notes', kind: 'tool', name: 'write', personal: true }).allow,
    ).toBe(true);
    const denied = decide({
      policy,
      claims: users.engineer,
      server: 'notes',
      kind: 'tool',
      name: 'delete_note',
      personal: true,
    });
    expect(denied).toMatchObject({ allow: false, rule: { id: 'no-destructive' } });
    expect(
      decide({
        policy,
        claims: users.engineer,
        server: 'notes',
        kind: 'server',
        personal: true,
        toggles: { notes: false },
      }).allow,
    ).toBe(false);
    expect(decide({ policy, claims: users.leaving, server: 'notes', kind: 'server', personal: true }).allow).toBe(
      false,
    );
  });

  it('claim paths reach nested claims such as Keycloak realm roles', () => {
    const policy: PolicyDocument = {
      ...acme,
      claimNames: { roles: 'realm_access.roles' },
      rules: [{ effect: 'allow', when: { roles: ['mcp-*'] }, servers: ['github'] }],
    };
    expect(
      decide({ policy, claims: { realm_access: { roles: ['mcp-user'] } }, server: 'github', kind: 'server' }).allow,
    ).toBe(true);
    expect(
      decide({ policy, claims: { realm_access: { roles: ['viewer'] } }, server: 'github', kind: 'server' }).allow,
    ).toBe(false);
    expect(decide({ policy, claims: { roles: ['mcp-user'] }, server: 'github', kind: 'server' }).allow).toBe(false);
  });
});

describe('listServerAccess()', () => {
  it('tells which servers a user may use, which are on, and which they may toggle', () => {
    const view = (claims: UserClaims, toggles = {}) =>
      listServerAccess({ policy: acme, claims, toggles }).map(
        ({ id, allowed, enabled, toggleable, mode, auditLevel }) => ({
          id,
          allowed,
          enabled,
          toggleable,
          mode,
          auditLevel,
        }),
      );
    expect(view(users.engineer, { jira: true, filesystem: false })).toEqual([
      { id: 'github', allowed: true, enabled: true, toggleable: false, mode: 'locked-on', auditLevel: 'arguments' },
      { id: 'jira', allowed: true, enabled: true, toggleable: true, mode: 'default-off', auditLevel: 'metadata' },
      { id: 'filesystem', allowed: true, enabled: false, toggleable: true, mode: 'default-on', auditLevel: 'metadata' },
      {
        id: 'finance-db',
        allowed: false,
        enabled: false,
        toggleable: false,
        mode: 'default-on',
        auditLevel: 'metadata',
      },
    ]);
    expect(
      view(users.outsider)
        .filter((s) => s.allowed)
        .map((s) => s.id),
    ).toEqual(['github']);
  });
});

describe('filterList()', () => {
  it('hides denied tools, prompts and resources (resources by URI)', () => {
    const context = { policy: acme, claims: users.contractor, server: 'filesystem' };
    const tools = [{ name: 'read_file' }, { name: 'delete_file' }, { name: 'disk_destroy' }];
    expect(filterList(context, 'tool', tools)).toEqual([{ name: 'read_file' }]);
    const resources = [
      { uri: 'file:///srv/shared/a.txt', name: 'a' },
      { uri: 'file:///srv/shared/secrets/key.pem', name: 'key' },
    ];
    expect(filterList(context, 'resource', resources).map((r) => r.name)).toEqual(['a']);
    const templates = [{ uriTemplate: 'file:///srv/shared/secrets/{name}', name: 'secret' }];
    expect(filterList(context, 'resource', templates)).toEqual([]);
    expect(filterList({ ...context, server: 'github', claims: users.outsider }, 'prompt', [{ name: 'p' }])).toEqual([]);
  });
});

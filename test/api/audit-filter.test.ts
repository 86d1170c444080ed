import { describe, expect, it } from 'vitest';
import { matchesAuditFilter } from '../../src-main/core/api/index.ts';
import type { AuditRecord } from '../../src-main/core/api/index.ts';
import { tokenFromFragment, windowUrl } from '../../src-main/core/api/window-url.ts';

const record: AuditRecord = {
  id: '01JDXYZ',
  startedAt: '2026-11-27T10:00:00.000Z',
  server: 'memory',
  method: 'tools/call',
  name: 'create_entities',
  client: { name: 'cursor-vscode', version: '1.2', localTokenId: 'cursor' },
  outcome: 'denied',
  params: { name: 'create_entities', arguments: { entities: [{ name: 'Project "Falcon"' }] } },
};

describe('matchesAuditFilter', () => {
  it('matches server, tool, outcome and client exactly', () => {
    expect(matchesAuditFilter(record, {})).toBe(true);
    expect(
      matchesAuditFilter(record, { server: 'memory', tool: 'create_entities', outcome: 'denied', client: 'cursor' }),
    ).toBe(true);
    expect(matchesAuditFilter(record, { server: 'mem' })).toBe(false);
    expect(matchesAuditFilter(record, { outcome: 'ok' })).toBe(false);
    expect(matchesAuditFilter(record, { client: 'claude-desktop' })).toBe(false);
  });

  it('finds free text in parameters, case-insensitively', () => {
    expect(matchesAuditFilter(record, { text: 'falcon' })).toBe(true);
    expect(matchesAuditFilter(record, { text: '  FALCON ' })).toBe(true);
    expect(matchesAuditFilter(record, { text: 'eagle' })).toBe(false);
  });
});

describe('the window URL', () => {
  it('carries the token in the fragment, which browsers never send to the server', () => {
    const url = windowUrl('http://127.0.0.1:7391/', 'gh_a+b/c');
    expect(url).toBe('http://127.0.0.1:7391/ui/#token=gh_a%2Bb%2Fc');
    expect(new URL(url).pathname).toBe('/ui/');
    expect(tokenFromFragment(new URL(url).hash)).toBe('gh_a+b/c');
    expect(tokenFromFragment('')).toBeUndefined();
  });
});

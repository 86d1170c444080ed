import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/policies/${name}`, import.meta.url));

async function gatehouse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [main, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('gatehouse policy validate', () => {
  it('prints "valid" and a summary, exit 0', async () => {
    const { code, stdout } = await gatehouse('policy', 'validate', fixture('acme.json'));
    expect(code).toBe(0);
    expect(stdout).toContain('acme.json: valid');
    expect(stdout).toMatch(/servers\s+4 \(1 stdio, 3 remote\): github, jira, filesystem, finance-db/);
    expect(stdout).toMatch(/rules\s+6 \(3 allow, 3 deny\)/);
  });

  it('prints every error with line, column and JSON path, exit 1', async () => {
    const { code, stdout } = await gatehouse('policy', 'validate', fixture('invalid.json'));
    expect(code).toBe(1);
    const lines = stdout.split('\n').filter((l) => l.includes('invalid.json:'));
    expect(lines).toHaveLength(9);
    expect(lines[0]).toMatch(/invalid\.json:3:3: \$\.policyVersion: must not be empty$/);
    expect(stdout).toContain(
      'invalid.json:11:49: $.rules[0].when.group: unknown field "group" (did you mean "groups"?)',
    );
    expect(stdout).toContain('9 errors');
  });

  it('--json gives scripts the same errors', async () => {
    const { code, stdout } = await gatehouse('policy', 'validate', '--json', fixture('invalid.json'));
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.valid).toBe(false);
    expect(report.errors[0]).toMatchObject({ path: '$.policyVersion', line: 3, column: 3 });
  });

  it('a missing file is a clear error', async () => {
    const { code, stderr } = await gatehouse('policy', 'validate', '/nonexistent/policy.json');
    expect(code).toBe(1);
    expect(stderr).toContain('cannot read /nonexistent/policy.json: ENOENT');
  });
});

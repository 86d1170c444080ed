import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../../../src-main/core/fs/atomic-write.ts';
import type { PolicyDocument } from '../../../src-main/core/policy/index.ts';

/** A small valid policy; `revision` shows up as policyVersion so tests can tell documents apart. */
export function samplePolicy(revision: number, overrides: Partial<PolicyDocument> = {}): PolicyDocument {
  return {
    version: 1,
    policyVersion: `rev-${revision}`,
    issuedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, revision)).toISOString(),
    contact: 'it-help@example.com',
    servers: { github: { url: 'https://mcp.example.com/github/mcp' } },
    rules: [{ id: 'eng', effect: 'allow', when: { groups: ['engineering'] }, servers: ['github'] }],
    ...overrides,
  };
}

export async function makeTempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `gatehouse-${prefix}-`));
}

/** Replaces the file the way an editor or a deploy script does: a whole new file, renamed into place. */
export async function writePolicyFile(file: string, document: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(document, null, 2)}\n`);
}

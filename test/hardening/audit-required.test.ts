// An org whose policy says `auditRequired` wants no call to run unrecorded: while the audit log
// cannot be written (the disk is full) calls are refused with the reason, and they work again as
// soon as records can be written. Real demo org (IdP, org server, MCP servers), real SDK client;
// "disk full" is a file-size limit on this test process (EFBIG), as in local-faults.test.ts.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoOrg, type DemoOrg } from '../../src-main/demo/index.ts';
import { largestFile, limitFileSize, canLimitFileSize } from './support/file-size-limit.ts';
import { connect, NODE, tempDir, textOf } from '../support/gateway-harness.ts';

describe.skipIf(!canLimitFileSize)('auditRequired: no call runs unrecorded', () => {
  let dataDir: string;
  let demo: DemoOrg;
  let client: Client;

  beforeAll(async () => {
    dataDir = await tempDir('gatehouse-audit-required-');
    demo = await startDemoOrg({ dataDir, port: 0, openSystemBrowser: false, node: NODE });
    client = await connect(demo.gateway.endpoint, demo.clientToken, { name: 'audit-required-test' });
  }, 90_000);

  afterAll(async () => {
    if (canLimitFileSize) limitFileSize('unlimited');
    await client?.close().catch(() => {});
    await demo?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const echo = (message: string) => client.callTool({ name: 'everything__echo', arguments: { message } });

  it('refuses calls while the log cannot be written, says why, and serves again once it can', async () => {
    // Without the policy's word, records follow the answer (docs/audit.md, Durability).
    expect((await demo.gateway.api.getStatus()).audit?.recordedBeforeAnswer).toBe(false);
    const policy = JSON.parse(await fs.readFile(demo.layout.policyFile, 'utf8'));
    policy.policyVersion = 'demo-audit-required';
    policy.auditRequired = true;
    await fs.writeFile(demo.layout.policyFile, JSON.stringify(policy, null, 2));
    await expect
      .poll(() => demo.gateway.org?.currentPolicy()?.policyVersion, { timeout: 10_000 })
      .toBe('demo-audit-required');
    // The org requires a record of every call: it is written before the answer goes out.
    expect((await demo.gateway.api.getStatus()).audit?.recordedBeforeAnswer).toBe(true);
    expect(textOf(await echo('recorded'))).toContain('recorded');

    await demo.gateway.audit.flush();
    limitFileSize((await largestFile(path.join(dataDir, 'audit'))) + 1024);
    try {
      // The first calls fill the room left; then a write fails and every call is refused.
      let refused: unknown;
      for (let i = 0; i < 50 && !refused; i++) {
        await echo('m'.repeat(300)).catch((error: unknown) => (refused = error));
      }
      expect(String(refused)).toMatch(/requires every call to be recorded.*cannot write its audit log/);
      await expect(echo('still refused')).rejects.toThrow(/Free disk space/);
    } finally {
      limitFileSize('unlimited');
    }
    // Records waiting in memory are written on the next retry (every second); calls work again.
    await expect.poll(() => demo.gateway.audit.writeFailure(), { timeout: 15_000 }).toBeUndefined();
    expect(textOf(await echo('back'))).toContain('back');
    await demo.gateway.audit.flush();
    const denied = (await demo.gateway.audit.query({ outcome: 'denied', limit: 50 })).records;
    expect(denied.length).toBeGreaterThan(0);
    expect(denied.every((r) => r.denyRule === 'auditRequired')).toBe(true);
    expect((await demo.gateway.audit.verify()).ok).toBe(true);
  });
});

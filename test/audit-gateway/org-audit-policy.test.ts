// What the org decides about the audit trail, end to end through the demo org (real IdP, org
// server, MCP servers, gateway in org mode, SDK client): the sinks records ship to (the org
// server's HTTPS receiver and an OTLP collector named in the org config), the audit level per tool,
// and how long the laptop keeps records.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordHash } from '../../src-main/core/audit/canonical.ts';
import type { AuditRecord } from '../../src-main/core/audit/index.ts';
import { openHeadlessSecretStore } from '../../src-main/core/secrets/index.ts';
import { startDemoOrg, type DemoOrg } from '../../src-main/demo/index.ts';
import { TestOtlpCollector } from '../audit/support.ts';
import { connect, NODE, tempDir, textOf } from '../support/gateway-harness.ts';

const COLLECTOR_SECRET = 'otel-ingest-7Hq2mX9vL4pK8sR3';

describe('the org chooses audit sinks, per-tool audit levels and retention', () => {
  let collector: TestOtlpCollector;
  let dataDir: string;
  let demo: DemoOrg;
  let client: Client;

  beforeAll(async () => {
    collector = await new TestOtlpCollector().start();
    dataDir = await tempDir('gatehouse-org-audit-');
    // The org hands the collector's ingest key to laptops as an org secret, like the demo's shared secret.
    await openHeadlessSecretStore(dataDir).set('org-secret:otel-ingest', COLLECTOR_SECRET);
    demo = await startDemoOrg({
      dataDir,
      port: 0,
      openSystemBrowser: false,
      node: NODE,
      auditSinks: [
        {
          type: 'otlp',
          url: collector.url,
          headers: [
            { header: 'Authorization', secretRef: 'otel-ingest', prefix: 'Bearer ' },
            { header: 'X-Scope-OrgID', value: 'demo-org' },
          ],
          resourceAttributes: { 'deployment.environment': 'test' },
        },
      ],
    });
    client = await connect(demo.gateway.endpoint, demo.clientToken, { name: 'org-audit-test' });
  }, 90_000);

  afterAll(async () => {
    await client?.close().catch(() => {});
    await demo?.close();
    await collector?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const orgCopy = async (): Promise<AuditRecord[]> =>
    (await fs.readFile(demo.layout.orgAuditFile, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditRecord);

  it('ships a call to the OTLP collector exactly once, with the org secret as its key, and to the org server', async () => {
    expect(textOf(await client.callTool({ name: 'memory__read_graph', arguments: {} }))).toBeDefined();
    const [local] = (await demo.gateway.audit.query({ tool: 'read_graph', limit: 1 })).records;
    expect(local).toBeDefined();
    await expect
      .poll(() => collector.auditRecords.filter((r) => r.id === local!.id).length, { timeout: 15_000 })
      .toBe(1);
    await expect.poll(async () => (await orgCopy()).filter((r) => r.id === local!.id).length).toBe(1);
    const shipped = collector.auditRecords.find((r) => r.id === local!.id)!;
    expect(shipped).toEqual(local);
    expect(recordHash(shipped)).toBe(shipped.hash);
    expect(shipped.user).toMatchObject({ sub: 'alice' });
    const exported = collector.exports.at(-1)!;
    expect(exported.headers.authorization).toBe(`Bearer ${COLLECTOR_SECRET}`);
    expect(exported.headers['x-scope-orgid']).toBe('demo-org');
    expect(collector.logRecords.at(-1)!.resource).toMatchObject({
      'service.name': 'gatehouse',
      'deployment.environment': 'test',
    });

    // Once the collector's key was used, it is a known secret: pasted into a call, it never reaches a record.
    await client.callTool({ name: 'memory__search_nodes', arguments: { query: `key ${COLLECTOR_SECRET}` } });
    await expect
      .poll(() => collector.auditRecords.filter((r) => r.name === 'search_nodes').length, { timeout: 15_000 })
      .toBe(1);
    const all = JSON.stringify([...collector.auditRecords, ...(await orgCopy())]);
    expect(all).not.toContain(COLLECTOR_SECRET);
    // At least once, deduplicated by id: nothing arrived twice.
    const ids = collector.auditRecords.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('records each tool at the level the policy sets for it, and keeps records as long as the policy says', async () => {
    const policy = JSON.parse(await fs.readFile(demo.layout.policyFile, 'utf8'));
    policy.policyVersion = 'demo-audit-levels';
    policy.auditRetentionDays = 7;
    policy.servers.filesystem.auditTools = { 'list_*': 'metadata', write_file: 'full' };
    await fs.writeFile(demo.layout.policyFile, JSON.stringify(policy, null, 2));
    await expect
      .poll(async () => (await demo.gateway.api.getSettings()).auditRetentionDays, { timeout: 10_000 })
      .toBe(7);
    expect(await demo.gateway.api.getSettings()).toMatchObject({ auditRetentionManaged: true });
    expect(demo.gateway.audit.store.limits.maxAgeMs).toBe(7 * 86_400_000);
    await expect(demo.gateway.api.setSettings({ auditRetentionDays: 90 })).rejects.toMatchObject({ code: 'managed' });

    const file = path.join(demo.layout.sandboxDir, 'audit-levels.txt');
    await client.callTool({ name: 'filesystem__write_file', arguments: { path: file, content: 'quarterly numbers' } });
    await client.callTool({ name: 'filesystem__list_directory', arguments: { path: demo.layout.sandboxDir } });
    const read = await client.callTool({ name: 'filesystem__read_text_file', arguments: { path: file } });
    expect(textOf(read)).toContain('quarterly numbers');

    const records = (await demo.gateway.audit.query({ server: 'filesystem', limit: 10 })).records;
    const byTool = (name: string) => records.find((r) => r.name === name)!;
    // write_file: full, the arguments and the result as sent.
    expect(byTool('write_file')).toMatchObject({
      redaction: 'full',
      params: { arguments: { path: file, content: 'quarterly numbers' } },
      policyVersion: 'demo-audit-levels',
    });
    // list_*: metadata only, neither arguments nor result text.
    expect(byTool('list_directory').redaction).toBe('none');
    expect(byTool('list_directory').params).toBeUndefined();
    expect(JSON.stringify(byTool('list_directory').result ?? {})).not.toContain('audit-levels.txt');
    // Everything else on the server: the document's level (arguments, secrets masked).
    expect(byTool('read_text_file')).toMatchObject({ redaction: 'redacted', params: { arguments: { path: file } } });
  });
});

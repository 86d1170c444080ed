import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connect, servers, startGateway, textOf, type RunningGateway } from '../support/gateway-harness.ts';

// A JWT-shaped value: the kind of secret an agent may paste into tool arguments.
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsIm5hbWUiOiJBbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWc';

describe('every call through the gateway lands in the audit log', () => {
  let gw: RunningGateway;
  let client: Client;
  beforeAll(async () => {
    gw = await startGateway({ everything: servers.everything(), test: servers.testUpstream({}) });
    client = await connect(gw.gateway.endpoint, gw.token, { name: 'audit-test-client' });
  });
  afterAll(async () => {
    await client?.close();
    await gw?.close();
  });

  async function recordsFor(name: string) {
    await gw.gateway.audit.flush();
    return (await gw.gateway.audit.query({ tool: name })).records;
  }

  it('records who called which tool with what, the outcome and latency, with secrets in arguments masked', async () => {
    expect(
      textOf(await client.callTool({ name: 'everything__echo', arguments: { message: `token ${JWT}` } })),
    ).toContain('Echo');
    await expect.poll(async () => (await recordsFor('echo')).length).toBe(1);
    const [record] = await recordsFor('echo');
    expect(record).toMatchObject({
      server: 'everything',
      method: 'tools/call',
      name: 'echo',
      outcome: 'ok',
      client: { name: 'audit-test-client', localTokenId: 'test' },
    });
    expect(record!.latency.totalMs).toBeGreaterThan(0);
    expect(record!.bytesIn).toBeGreaterThan(JWT.length);
    expect(JSON.stringify(record)).not.toContain(JWT);
    expect(JSON.stringify(record!.params)).toContain('token ');
  });

  it('never stores a secret the gateway knows (a local client token), whatever the level', async () => {
    const echoed = await client.callTool({ name: 'test__echo', arguments: { message: `my token is ${gw.token}` } });
    expect(textOf(echoed)).toContain(gw.token); // the call itself is untouched
    await gw.gateway.audit.flush();
    const records = (await gw.gateway.audit.query({ server: 'test' })).records;
    expect(records.some((r) => JSON.stringify(r.params).includes('my token is'))).toBe(true);
    expect(JSON.stringify(records)).not.toContain(gw.token);
  });

  it('records tool errors and upstream failures with their outcome', async () => {
    await client.callTool({ name: 'test__crash', arguments: {} });
    await expect.poll(async () => (await recordsFor('crash')).map((r) => r.outcome)).toEqual(['upstream_error']);
    const [crash] = await recordsFor('crash');
    expect(crash!.error).toMatch(/stopped during the request/);
  });

  it('keeps a hash chain that verifies', async () => {
    await gw.gateway.audit.flush();
    const result = await gw.gateway.audit.verify();
    expect(result.ok).toBe(true);
  });

  it('streams new records live to subscribers (the window)', async () => {
    const seen: string[] = [];
    const stop = gw.gateway.api.subscribe((event) => {
      if (event.type === 'audit') seen.push(String(event.record.name));
    });
    try {
      await client.callTool({ name: 'test__echo', arguments: { message: 'live' } });
      await expect.poll(() => seen, { timeout: 5000 }).toContain('echo');
    } finally {
      stop();
    }
  });
});

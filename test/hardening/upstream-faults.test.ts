// Upstream faults not covered by test/gateway/faults.test.ts (crash, hang, garbage, cannot start):
// a remote server that drops the connection, answers 500 or stalls, and a stdio server that floods
// notifications. Each time: a clear error within the timeout, the other servers keep answering,
// and the audit log records the outcome.
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, NODE, servers, startGateway, textOf } from '../support/gateway-harness.ts';
import { LeanSession } from '../../bench/lib/lean-client.ts';
import { startFaultyUpstream } from './support/faulty-http-upstream.ts';

const FLOOD_UPSTREAM = { command: NODE, args: [path.join(import.meta.dirname, 'support', 'flood-upstream.ts')] };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work;
  return { value, ms: Date.now() - started };
}

describe('a remote upstream that fails', () => {
  it('drop, 500 and stall each give a clear error in time, other servers answer, and the audit log has each outcome', async () => {
    const remote = await startFaultyUpstream();
    cleanups.push(() => remote.close());
    const gw = await startGateway({
      remote: { url: remote.url, timeoutMs: 1500 },
      steady: servers.testUpstream(),
    });
    cleanups.push(() => gw.close());
    const client = await connect(gw.gateway.endpoint, gw.token);
    cleanups.push(() => client.close());
    expect(textOf(await client.callTool({ name: 'remote__echo', arguments: { message: 'up' } }))).toBe('up');

    const outcome = (name: string) =>
      timed(
        client.callTool({ name: `remote__${name}`, arguments: {} }).then(
          (r) => ({ isError: r.isError === true, text: textOf(r) }),
          (e: Error) => ({ isError: true, text: e.message }),
        ),
      );
    const stall = outcome('stall');
    // While one call stalls, the stdio server and the same remote server still answer.
    expect(textOf(await client.callTool({ name: 'steady__echo', arguments: { message: 'meanwhile' } }))).toBe(
      'meanwhile',
    );
    const drop = await outcome('drop');
    const fail = await outcome('fail500');
    const stalled = await stall;
    for (const r of [drop, fail, stalled]) {
      expect(r.value.isError).toBe(true);
      expect(r.ms).toBeLessThan(10_000);
    }
    expect(drop.value.text).toMatch(/remote/);
    expect(fail.value.text).toMatch(/500/);
    expect(stalled.value.text).toMatch(/did not answer within/);
    expect(stalled.ms).toBeGreaterThanOrEqual(1400);
    // The server is still usable after each fault.
    expect(textOf(await client.callTool({ name: 'remote__echo', arguments: { message: 'again' } }))).toBe('again');

    await gw.gateway.audit.flush();
    const records = (await gw.gateway.audit.query({ server: 'remote' })).records;
    const calls = records.filter((r) => r.method === 'tools/call');
    console.log(calls.map((r) => `${r.name}: ${r.outcome} (${r.error ?? ''})`).join('\n'));
    const byTool = Object.fromEntries(calls.map((r) => [r.name, r]));
    expect(byTool.drop?.outcome).toBe('upstream_error');
    expect(byTool.fail500?.outcome).toBe('upstream_error');
    expect(byTool.stall?.outcome).toBe('timeout');
    expect(byTool.echo?.outcome).toBe('ok');
    for (const name of ['drop', 'fail500', 'stall']) expect(byTool[name]?.error, name).toBeTruthy();
    expect((await gw.gateway.audit.verify()).ok).toBe(true);
  });
});

describe('a stdio upstream that floods notifications', () => {
  it('keeps the other servers answering promptly, finishes the flooding call, and records it', async () => {
    const gw = await startGateway({ flood: FLOOD_UPSTREAM, steady: servers.testUpstream() });
    cleanups.push(() => gw.close());
    const client = await connect(gw.gateway.endpoint, gw.token);
    cleanups.push(() => client.close());
    let logs = 0;
    client.fallbackNotificationHandler = async () => void logs++;
    expect(textOf(await client.callTool({ name: 'steady__echo', arguments: { message: 'warm' } }))).toBe('warm');

    const flood = client.callTool({ name: 'flood__flood', arguments: { count: 20_000, size: 200 } }, undefined, {
      timeout: 60_000,
    });
    let done = false;
    void flood.finally(() => (done = true));
    const latencies: number[] = [];
    while (!done) {
      const { value, ms } = await timed(client.callTool({ name: 'steady__echo', arguments: { message: 'still' } }));
      expect(textOf(value)).toBe('still');
      latencies.push(ms);
    }
    expect(textOf(await flood)).toBe('sent 20000');
    console.log(`flood: ${latencies.length} calls to another server meanwhile, slowest ${Math.max(...latencies)} ms`);
    expect(Math.max(...latencies)).toBeLessThan(5_000);
    expect(textOf(await client.callTool({ name: 'flood__echo', arguments: { message: 'after' } }))).toBe('after');
    await gw.gateway.audit.flush();
    const records = (await gw.gateway.audit.query({ server: 'flood' })).records;
    expect(records.find((r) => r.name === 'flood')?.outcome).toBe('ok');
  });
});

describe('a flood towards a client that does not read', () => {
  it('does not make the gateway buffer without bound (regression: it held every unsent byte)', async () => {
    const gw = await startGateway({ flood: FLOOD_UPSTREAM });
    cleanups.push(() => gw.close());
    // The caller posts only (no standalone stream), so the flood goes to the stuck session alone.
    const caller = await LeanSession.open(gw.gateway.endpoint, gw.token);
    cleanups.push(() => caller.close());
    const stuck = await openStuckStandaloneStream(gw.gateway.endpoint, gw.token);
    cleanups.push(async () => stuck.destroy());

    const before = process.memoryUsage().rss;
    // 60 000 x 2 KB = ~120 MB of notifications the stuck session never reads.
    const flood = await caller.request('tools/call', {
      name: 'flood__flood',
      arguments: { count: 60_000, size: 2_000 },
    });
    expect(textOf(flood)).toBe('sent 60000');
    const grownMb = (process.memoryUsage().rss - before) / 1024 / 1024;
    console.log(`RSS growth of the gateway while flooding a stuck client with 120 MB: ${grownMb.toFixed(0)} MB`);
    expect(grownMb).toBeLessThan(60);
    const after = await caller.request('tools/call', { name: 'flood__echo', arguments: { message: 'after' } });
    expect(textOf(after)).toBe('after');
  }, 120_000);
});

/** A session that opens its standalone GET stream and then stops reading it. */
async function openStuckStandaloneStream(endpoint: string, token: string): Promise<http.IncomingMessage> {
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  const init = await fetch(endpoint, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'stuck', version: '1' } },
    }),
  });
  const sid = init.headers.get('mcp-session-id')!;
  await init.text();
  const stream = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request(endpoint, {
      method: 'GET',
      headers: { ...headers, accept: 'text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
    });
    req.on('response', resolve).on('error', reject).end();
  });
  expect(stream.statusCode).toBe(200);
  stream.pause();
  stream.socket.pause();
  return stream;
}

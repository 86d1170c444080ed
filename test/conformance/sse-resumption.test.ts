// SEP-1699 (Streamable HTTP resumability): a server may close a POST's SSE stream after an event
// with an id, and answer later on a GET that carries Last-Event-ID. The official suite cannot see
// whether Gatehouse does this towards its upstream (its own request says protocol 2025-03-26, and
// Gatehouse answers it with JSON), so this test drives the upstream's `test_reconnection` tool,
// which closes its stream mid-call, with the SDK's real client: directly and through Gatehouse.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, expect, it } from 'vitest';
import { startGateway } from './harness/gateway.ts';
import { startConformanceUpstream } from './upstream-server.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function callReconnectionTool(url: string, headers: Record<string, string> = {}) {
  const client = new Client({ name: 'sse-resumption-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  try {
    return await client.callTool({ name: 'test_reconnection', arguments: {} }, undefined, { timeout: 10_000 });
  } finally {
    await client.close();
  }
}

it('delivers a tool result the upstream sends after closing its SSE stream mid-call (SEP-1699)', async () => {
  const upstream = await startConformanceUpstream();
  cleanups.push(() => upstream.close());
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-sse-resumption-'));
  cleanups.push(() => rm(workDir, { recursive: true, force: true }));
  const gateway = await startGateway({
    serverName: 'conf',
    upstreamUrl: upstream.url,
    workDir,
    logFile: path.join(workDir, 'gateway.log'),
  });
  cleanups.push(() => gateway.close());

  const expected = {
    content: [{ type: 'text', text: expect.stringContaining('Reconnection test completed') }],
  };
  // Directly, the SDK client reconnects with Last-Event-ID and gets the result: the fixture works.
  expect(await callReconnectionTool(upstream.url)).toEqual(expected);
  const throughGatehouse = await callReconnectionTool(`${gateway.origin}/servers/conf/mcp`, {
    authorization: `Bearer ${gateway.token}`,
  });
  expect(throughGatehouse).toEqual(expected);
}, 60_000);

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
  connect,
  servers,
  startEverythingHttp,
  startGateway,
  tempDir,
  textOf,
  type RunningGateway,
} from '../support/gateway-harness.ts';
import { rawRequest } from '../support/raw-http.ts';

/** A client that can answer everything a server may ask: sampling, elicitation, roots. */
function fullClient(client: Client): void {
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
    model: 'test-model',
    role: 'assistant',
    content: { type: 'text', text: `sampled: ${JSON.stringify(request.params.messages[0]?.content)}` },
  }));
  client.setRequestHandler(ElicitRequestSchema, async () => ({
    action: 'accept',
    content: { name: 'Ada', check: true },
  }));
  client.setRequestHandler(ListRootsRequestSchema, async () => ({
    roots: [{ uri: 'file:///tmp/project-root', name: 'project' }],
  }));
}
const FULL_CAPS = { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } };

describe.each([
  ['stdio', async () => servers.everything()],
  ['streamable HTTP', async () => ({ url: (await httpEverything()).url })],
])('server-everything over %s through Gatehouse', (_label, makeServer) => {
  let gw: RunningGateway;
  let aggregated: Client;
  let direct: Client;

  beforeAll(async () => {
    gw = await startGateway({ everything: await makeServer() });
    aggregated = await connect(gw.gateway.endpoint, gw.token, { capabilities: FULL_CAPS, setup: fullClient });
    direct = await connect(gw.gateway.serverEndpoint('everything'), gw.token, {
      capabilities: FULL_CAPS,
      setup: fullClient,
    });
  });
  afterAll(async () => {
    await aggregated?.close();
    await direct?.close();
    await gw?.close();
  });

  it('lists tools namespaced on /mcp and unchanged on /servers/everything/mcp', async () => {
    const agg = await aggregated.listTools();
    const one = await direct.listTools();
    expect(one.tools.map((t) => t.name)).toContain('echo');
    expect(agg.tools.map((t) => t.name)).toContain('everything__echo');
    expect(agg.tools.length).toBe(one.tools.length);
    const echo = one.tools.find((t) => t.name === 'echo')!;
    const aggEcho = agg.tools.find((t) => t.name === 'everything__echo')!;
    expect({ ...aggEcho, name: 'echo' }).toEqual(echo); // schema, annotations, title pass through untouched
  });

  it('calls tools both ways, with structured content and output schema intact', async () => {
    expect(textOf(await aggregated.callTool({ name: 'everything__echo', arguments: { message: 'hello' } }))).toBe(
      'Echo: hello',
    );
    expect(textOf(await direct.callTool({ name: 'echo', arguments: { message: 'hi' } }))).toBe('Echo: hi');
    const structured = await direct.callTool({ name: 'get-structured-content', arguments: { location: 'New York' } });
    expect(structured.structuredContent).toMatchObject({
      temperature: expect.any(Number),
      conditions: expect.any(String),
    });
  });

  it('passes a 100 KB result through unchanged, on both endpoints and when node:http reads the request', async () => {
    const message = `é漢😀 ${'x'.repeat(100)}`.repeat(1000); // non-ASCII, ~110 KB as UTF-8
    expect(textOf(await direct.callTool({ name: 'echo', arguments: { message } }))).toBe(`Echo: ${message}`);
    expect(textOf(await aggregated.callTool({ name: 'everything__echo', arguments: { message } }))).toBe(
      `Echo: ${message}`,
    );
    // A chunked POST is left to node:http (listener/fast-front.ts); its answer is the same.
    const headers = {
      authorization: `Bearer ${gw.token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const init = await rawRequest(gw.gateway.port, {
      path: '/servers/everything/mcp',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
    const call = await rawRequest(gw.gateway.port, {
      path: '/servers/everything/mcp',
      headers: { ...headers, 'mcp-session-id': String(init.headers['mcp-session-id']), 'transfer-encoding': 'chunked' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'raw-2',
        method: 'tools/call',
        params: { name: 'echo', arguments: { message } },
      }),
    });
    expect(call.status).toBe(200);
    expect(JSON.parse(call.body)).toEqual({
      jsonrpc: '2.0',
      id: 'raw-2',
      result: { content: [{ type: 'text', text: `Echo: ${message}` }] },
    });
    // The audit record has the result's summary (parsed after the answer went out).
    const [record] = (await gw.gateway.audit.query({ server: 'everything', tool: 'echo', limit: 1 })).records;
    expect(record!.result!.content![0]).toMatchObject({ type: 'text', size: message.length + 6, truncated: true });
  });

  it('delivers progress notifications before the result', async () => {
    const progress: number[] = [];
    const result = await aggregated.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 1, steps: 4 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    );
    // The SDK client handles notifications a microtask later but responses at once, so when the last
    // progress and the result arrive in one read (a loaded machine), it drops that progress itself.
    // Every progress it did handle came in order and before the result.
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress).toEqual([1, 2, 3, 4].slice(0, progress.length));
    expect(textOf(result)).toMatch(/completed/i);
  });

  it('routes sampling and elicitation back to the session that made the call', async () => {
    const sampled = await aggregated.callTool({
      name: 'everything__trigger-sampling-request',
      arguments: { prompt: 'ping', maxTokens: 10 },
    });
    expect(textOf(sampled)).toContain('sampled:');
    const elicited = await direct.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    expect(textOf(elicited)).toMatch(/accept/i);
    expect(textOf(elicited)).toContain('Ada');
  });

  it('answers the server-side roots/list from the client', async () => {
    const roots = await direct.callTool({ name: 'get-roots-list', arguments: {} });
    expect(textOf(roots)).toContain('file:///tmp/project-root');
  });

  it('passes resources, templates, prompts and completions through', async () => {
    const templates = await aggregated.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toContain(
      'demo://resource/dynamic/text/{resourceId}',
    );
    const read = await aggregated.readResource({ uri: 'demo://resource/dynamic/text/3' });
    expect(JSON.stringify(read.contents)).toContain('demo://resource/dynamic/text/3');
    const prompts = await aggregated.listPrompts();
    expect(prompts.prompts.map((p) => p.name)).toContain('everything__simple-prompt');
    const prompt = await aggregated.getPrompt({ name: 'everything__args-prompt', arguments: { city: 'Paris' } });
    expect(JSON.stringify(prompt.messages)).toContain('Paris');
    const completion = await aggregated.complete({
      ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
      argument: { name: 'department', value: 'Eng' },
    });
    expect(completion.completion.values).toContain('Engineering');
  });

  it('passes logging/setLevel and answers ping', async () => {
    await expect(aggregated.setLoggingLevel('debug')).resolves.toBeDefined();
    await expect(direct.ping()).resolves.toBeDefined();
  });
});

let httpServer: Awaited<ReturnType<typeof startEverythingHttp>> | undefined;
async function httpEverything() {
  httpServer ??= await startEverythingHttp();
  return httpServer;
}
afterAll(async () => {
  await httpServer?.close();
});

describe('several servers on one aggregated endpoint', () => {
  let gw: RunningGateway;
  let client: Client;
  beforeAll(async () => {
    const dir = await tempDir();
    gw = await startGateway({
      memory: servers.memory(`${dir}/memory.jsonl`),
      files: servers.filesystem(dir),
      test: servers.testUpstream(),
    });
    client = await connect(gw.gateway.endpoint, gw.token);
  });
  afterAll(async () => {
    await client?.close();
    await gw?.close();
  });

  it('lists every server’s tools without collisions and routes each call to its server', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['memory__create_entities', 'files__read_text_file', 'test__echo']));
    expect(new Set(names).size).toBe(names.length);
    await client.callTool({
      name: 'memory__create_entities',
      arguments: { entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote notes'] }] },
    });
    const graph = await client.callTool({ name: 'memory__read_graph', arguments: {} });
    expect(JSON.stringify(graph)).toContain('Ada');
    expect(textOf(await client.callTool({ name: 'test__echo', arguments: { message: 'routed' } }))).toBe('routed');
  });

  it('sends a cancellation from the client to the upstream', async () => {
    const abort = new AbortController();
    const call = client.callTool({ name: 'test__wait-for-cancel', arguments: {} }, undefined, { signal: abort.signal });
    await new Promise((r) => setTimeout(r, 300));
    abort.abort('user pressed stop');
    await expect(call).rejects.toThrow();
    await expect
      .poll(async () => textOf(await client.callTool({ name: 'test__cancelled-count', arguments: {} })))
      .toBe('1');
  });

  it('forwards log notifications emitted during a call', async () => {
    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params.data));
    await client.callTool({ name: 'test__log', arguments: { text: 'from upstream' } });
    await expect.poll(() => logs).toContain('from upstream');
  });

  it('tells the client that an unknown tool name is unknown, and how names look', async () => {
    await expect(client.callTool({ name: 'nosuch__tool', arguments: {} })).rejects.toThrow(/<server>__<tool>/);
    await expect(client.callTool({ name: 'echo', arguments: {} })).rejects.toThrow(/Unknown tool 'echo'/);
  });
});

import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servers, startGateway, type RunningGateway } from '../support/gateway-harness.ts';
import { rawRequest } from '../support/raw-http.ts';

const request = rawRequest;

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

describe('the localhost listener refuses what it must', () => {
  let gw: RunningGateway;
  let port: number;
  let json: Record<string, string>;
  beforeAll(async () => {
    gw = await startGateway({ test: servers.testUpstream() });
    port = gw.gateway.port;
    json = {
      authorization: `Bearer ${gw.token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
  });
  afterAll(() => gw?.close());

  async function session(): Promise<string> {
    const reply = await request(port, { headers: json, body: INIT });
    expect(reply.status).toBe(200);
    return reply.headers['mcp-session-id'] as string;
  }

  it('is bound to 127.0.0.1 only', () => {
    expect(gw.gateway.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  });

  it('answers 401 with how to get a token when the token is missing or wrong', async () => {
    const missing = await request(port, { headers: { 'content-type': 'application/json' }, body: INIT });
    expect(missing.status).toBe(401);
    expect(missing.body).toContain('gatehouse token');
    const wrong = await request(port, { headers: { ...json, authorization: 'Bearer gh_not-the-token' }, body: INIT });
    expect(wrong.status).toBe(401);
  });

  it('accepts a token minted later by another process (gatehouse token) and refuses one revoked', async () => {
    const fresh = await gw.gateway.tokens.getOrCreate('cursor');
    expect((await request(port, { headers: { ...json, authorization: `Bearer ${fresh}` }, body: INIT })).status).toBe(
      200,
    );
    await gw.gateway.tokens.revoke('cursor');
    await new Promise((r) => setTimeout(r, 1100)); // verified tokens are remembered for 1 s
    expect((await request(port, { headers: { ...json, authorization: `Bearer ${fresh}` }, body: INIT })).status).toBe(
      401,
    );
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin (web pages), even with a valid token', async () => {
    const host = await request(port, { headers: { ...json, host: 'evil.example:7391' }, body: INIT });
    expect(host.status).toBe(403);
    expect(host.body).toContain('evil.example');
    const origin = await request(port, { headers: { ...json, origin: 'http://evil.example' }, body: INIT });
    expect(origin.status).toBe(403);
    const otherLocalPort = await request(port, {
      headers: { ...json, origin: `http://127.0.0.1:${port + 1}` },
      body: INIT,
    });
    expect(otherLocalPort.status).toBe(403);
    const own = await request(port, { headers: { ...json, origin: `http://127.0.0.1:${port}` }, body: INIT });
    expect(own.status).toBe(200);
  });

  it('answers 404 on OAuth discovery so clients do not start an OAuth flow', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-authorization-server']) {
      expect((await request(port, { method: 'GET', path })).status).toBe(404);
    }
  });

  it('refuses an oversize body with 413 and a clear message', async () => {
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'test__echo', arguments: { message: 'x'.repeat(9 * 1024 * 1024) } },
    });
    const reply = await request(port, { headers: { ...json, 'mcp-session-id': await session() }, body: big });
    expect(reply.status).toBe(413);
    expect(reply.body).toMatch(/too large/);
  });

  it('answers malformed JSON, invalid JSON-RPC and an unknown method with JSON-RPC errors', async () => {
    const sid = await session();
    const parse = await request(port, {
      headers: { ...json, 'mcp-session-id': sid },
      body: '{"jsonrpc": "2.0", "id": 1,',
    });
    expect(parse.status).toBe(400);
    expect(JSON.parse(parse.body).error.code).toBe(-32700);
    const invalid = await request(port, {
      headers: { ...json, 'mcp-session-id': sid },
      body: JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'x' }),
    });
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body).error.code).toBe(-32600);
    const unknown = await request(port, {
      headers: { ...json, 'mcp-session-id': sid },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'no/such' }),
    });
    expect(unknown.status).toBe(200);
    expect(JSON.parse(unknown.body)).toMatchObject({ id: 7, error: { code: -32601 } });
  });

  it('uses 400 for a missing session id, 404 for an unknown one, and never 400 for GET', async () => {
    const call = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect((await request(port, { headers: json, body: call })).status).toBe(400);
    expect((await request(port, { headers: { ...json, 'mcp-session-id': 'nope' }, body: call })).status).toBe(404);
    const get = await request(port, {
      method: 'GET',
      headers: { authorization: json.authorization!, accept: 'text/event-stream' },
    });
    expect(get.status).toBe(405);
    const unknownServer = await request(port, { path: '/servers/nope/mcp', headers: json, body: INIT });
    expect(unknownServer.status).toBe(404);
  });

  it('opens the standalone event stream on GET with a session', async () => {
    const sid = await session();
    const status = await new Promise<{ status: number; type: string | undefined }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'GET',
          path: '/mcp',
          headers: { authorization: json.authorization!, accept: 'text/event-stream', 'mcp-session-id': sid },
        },
        (res) => {
          resolve({ status: res.statusCode!, type: res.headers['content-type'] });
          req.destroy();
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toEqual({ status: 200, type: 'text/event-stream' });
  });

  it('does not let another local client token use a session it did not open', async () => {
    const sid = await session();
    const other = await gw.gateway.tokens.getOrCreate('other-client');
    const reply = await request(port, {
      headers: { ...json, authorization: `Bearer ${other}`, 'mcp-session-id': sid },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
    });
    expect(reply.status).toBe(404);
  });
});

// Hostile input to the localhost listener that test/gateway/security.test.ts does not already try:
// property-based fuzzing of the JSON-RPC surface (with and without a token), identity header
// injection, stolen tokens from another user's data dir, path traversal in server names, and
// oversize and deeply nested payloads. None may crash the gateway, leak a secret or get a call through.
import fs from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseGatewayConfig } from '../../src-main/core/config/index.ts';
import { startGateway, type RunningGateway } from '../support/gateway-harness.ts';
import { startFaultyUpstream, type FaultyUpstream } from './support/faulty-http-upstream.ts';
import { rawRequest, type RawReply } from '../support/raw-http.ts';

/** Runs of each fast-check property (the README's reliability section quotes them). */
const RUNS = 300;

const send = rawRequest;

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'hostile', version: '1' } },
});

/** What the listener answers must be HTTP or JSON-RPC, never a crash page or an empty 5xx. */
function expectWellFormed(reply: RawReply): void {
  expect(reply.status, reply.body).toBeLessThan(500);
  const type = reply.headers['content-type'] ?? '';
  if (type.includes('application/json')) JSON.parse(reply.body);
  if (type.includes('text/event-stream')) {
    for (const line of reply.body.split('\n')) if (line.startsWith('data:')) JSON.parse(line.slice(5));
  }
}

const KNOWN_METHODS = [
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'logging/setLevel',
  'completion/complete',
  'notifications/initialized',
  'notifications/cancelled',
];

/** JSON-RPC-shaped messages with every field possibly wrong, plain JSON, and non-JSON text. */
const hostileBody = fc
  .oneof(
    fc.record(
      {
        jsonrpc: fc.oneof(fc.constant('2.0'), fc.jsonValue()),
        id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.jsonValue()),
        method: fc.oneof(fc.constantFrom(...KNOWN_METHODS), fc.string(), fc.jsonValue()),
        params: fc.oneof(
          fc.jsonValue(),
          fc.record({ name: fc.oneof(fc.constant('remote__echo'), fc.string()), arguments: fc.jsonValue() }),
        ),
      },
      { requiredKeys: [] },
    ),
    fc.array(fc.record({ jsonrpc: fc.constant('2.0'), id: fc.integer(), method: fc.constantFrom(...KNOWN_METHODS) })),
    fc.jsonValue(),
  )
  .map((value) => JSON.stringify(value) ?? 'null');

const hostileText = fc.oneof(hostileBody, fc.string(), fc.string({ unit: 'binary' }));

const hostileHeaders = fc.record(
  {
    'content-type': fc.oneof(
      fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1'),
      fc.string(),
    ),
    accept: fc.oneof(fc.constantFrom('application/json, text/event-stream', 'text/html', '*/*'), fc.string()),
    'mcp-session-id': fc.string(),
    'mcp-protocol-version': fc.oneof(fc.constantFrom('2025-11-25', '2025-03-26', '1999-01-01'), fc.string()),
    'last-event-id': fc.string(),
  },
  { requiredKeys: [] },
);

/** Header values node:http refuses to send (control characters) are not what a client can send either. */
function sendable(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([, v]) => /^[\x20-\x7e]*$/.test(v)));
}

describe('hostile input to the listener', () => {
  let gw: RunningGateway;
  let remote: FaultyUpstream;
  let port: number;
  let json: Record<string, string>;
  let sid: string;
  beforeAll(async () => {
    remote = await startFaultyUpstream();
    gw = await startGateway({ remote: { url: remote.url, timeoutMs: 2_000 } });
    port = gw.gateway.port;
    json = {
      authorization: `Bearer ${gw.token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const reply = await send(port, { headers: json, body: INIT });
    sid = reply.headers['mcp-session-id'] as string;
  });
  afterAll(async () => {
    await gw?.close();
    await remote?.close();
  });

  async function stillServes(): Promise<void> {
    const reply = await send(port, {
      headers: { ...json, 'mcp-session-id': sid },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'alive',
        method: 'tools/call',
        params: { name: 'remote__echo', arguments: { message: 'alive' } },
      }),
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).result.content[0].text).toBe('alive');
  }

  it(`without a valid token, ${RUNS} random requests get an HTTP error and no call reaches the upstream`, async () => {
    const callsBefore = [...remote.calls.values()].reduce((a, b) => a + b, 0);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST', 'GET', 'DELETE', 'PUT', 'OPTIONS'),
        fc.constantFrom('/mcp', '/servers/remote/mcp', '/mcp/', '/servers/remote/mcp/'),
        fc.oneof(
          fc.constant(undefined),
          fc.constant('Bearer gh_stolen'),
          fc.string().map((s) => `Bearer ${s}`),
          fc.string(),
        ),
        hostileHeaders,
        hostileText,
        async (method, target, authorization, headers, body) => {
          const reply = await send(port, {
            method,
            path: target,
            headers: sendable({
              ...headers,
              ...(authorization !== undefined && { authorization }),
              'mcp-session-id': sid,
            }),
            body: method === 'GET' ? undefined : body,
          });
          expect(reply.status, `${method} ${target} -> ${reply.status}`).toBeGreaterThanOrEqual(400);
          expectWellFormed(reply);
          expect(reply.body).not.toContain(gw.token);
        },
      ),
      { numRuns: RUNS },
    );
    expect([...remote.calls.values()].reduce((a, b) => a + b, 0)).toBe(callsBefore);
    await stillServes();
  });

  it(`with a valid token, ${RUNS} random bodies and headers on an open session get a JSON-RPC or HTTP error, never a crash`, async () => {
    await fc.assert(
      fc.asyncProperty(hostileHeaders, hostileText, async (headers, body) => {
        const reply = await send(port, {
          headers: sendable({ ...headers, authorization: json.authorization!, 'mcp-session-id': sid }),
          body,
        });
        expectWellFormed(reply);
      }),
      { numRuns: RUNS },
    );
    await stillServes();
  });

  it(`with a valid token, ${RUNS} random JSON-RPC messages with valid headers are answered or refused well-formed`, async () => {
    await fc.assert(
      fc.asyncProperty(hostileBody, async (body) => {
        const reply = await send(port, { headers: { ...json, 'mcp-session-id': sid }, body });
        expectWellFormed(reply);
        if (reply.status >= 400 && reply.headers['content-type']?.includes('json')) {
          expect(JSON.parse(reply.body)).toHaveProperty('error');
        }
      }),
      { numRuns: RUNS },
    );
    await stillServes();
  });

  it('does not pass identity or credential headers a client sends on to the upstream', async () => {
    const injected = {
      'x-gatehouse-user': 'mallory@evil.test',
      'x-user-email': 'mallory@evil.test',
      'x-forwarded-for': '10.6.6.6',
      'x-forwarded-user': 'mallory',
      forwarded: 'for=10.6.6.6;by=mallory',
      cookie: 'session=stolen',
      'proxy-authorization': 'Basic bWFsbG9yeTpwdw==',
      'x-remote-user': 'mallory',
      'x-auth-request-email': 'mallory@evil.test',
    };
    const seenBefore = remote.seenHeaders.length;
    const reply = await send(port, {
      headers: { ...json, ...injected, 'mcp-session-id': sid },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'remote__headers' } }),
    });
    expect(reply.status).toBe(200);
    const echoed = JSON.parse(JSON.parse(reply.body).result.content[0].text) as Record<string, string>;
    const everything = JSON.stringify([echoed, ...remote.seenHeaders.slice(seenBefore)]);
    for (const [name, value] of Object.entries(injected)) {
      expect(echoed[name], name).toBeUndefined();
      expect(everything, name).not.toContain(value);
    }
    // The client's own credential (its local gh_ token) never leaves the laptop's gateway either.
    expect(JSON.stringify(remote.seenHeaders)).not.toContain(gw.token);
  });

  it('refuses path traversal in server names on the URL with 404, and serves nothing else', async () => {
    const targets = [
      '/servers/..%2f..%2fmcp/mcp',
      '/servers/..%2f../mcp',
      '/servers/../mcp',
      '/servers/%2e%2e/mcp',
      '/servers/remote%2f..%2f..%2fclient-tokens.json/mcp',
      '/servers/remote/../../client-tokens.json',
      '/servers/remote/mcp/../../../client-tokens.json',
      '/servers//mcp',
      '/servers/remote%00/mcp',
      '/servers/REMOTE/mcp',
      '//servers/remote/mcp',
      '/servers/remote/mcp%2f..%2f..%2fapi',
    ];
    const tokensFile = await fs.readFile(path.join(gw.dataDir, 'client-tokens.json'), 'utf8');
    for (const target of targets) {
      const reply = await send(port, { path: target, headers: json, body: INIT });
      expect([400, 404], `${target} -> ${reply.status}`).toContain(reply.status);
      expect(reply.body).not.toContain(gw.token);
      expect(reply.body).not.toBe(tokensFile);
    }
  });

  it('refuses server names with slashes, dots or separators in a config', () => {
    for (const name of ['../etc', 'a/b', '..', '.hidden', 'a\\b', 'x__y', '', 'a'.repeat(65), 'sp ace', 'nul\0']) {
      expect(() => parseGatewayConfig({ mcpServers: { [name]: { command: 'x' } } }), JSON.stringify(name)).toThrow(
        ConfigError,
      );
    }
  });

  it(
    'refuses 100 000-deep nesting anywhere in a message, and from a server it ends the call with an error',
    { timeout: 20_000 },
    async () => {
      const deep = '['.repeat(100_000) + ']'.repeat(100_000);
      const bodies = [
        deep,
        `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"remote__echo","arguments":{"message":"x","deep":${deep}}}}`,
        `{"jsonrpc":"2.0","id":${deep},"method":"ping"}`,
        `{"jsonrpc":"2.0","id":2,"method":"ping","params":{"_meta":${deep}}}`,
        `{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"cursor":${deep}}}`,
        `[${deep}]`,
        '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000),
      ];
      for (const body of bodies) {
        const reply = await send(port, { headers: { ...json, 'mcp-session-id': sid }, body });
        expectWellFormed(reply);
        // Regression: 100 000-deep tool arguments overflowed JSON.stringify on the way upstream and
        // were blamed on the server ("could not be reached: Maximum call stack size exceeded").
        expect(reply.status).toBe(400);
        expect(JSON.parse(reply.body).error.message).toMatch(/nested more than \d+ levels deep/);
      }
      await stillServes();
      // The same from a hostile upstream: a result nested 100 000 deep.
      const fromServer = await send(port, {
        headers: { ...json, 'mcp-session-id': sid },
        body: JSON.stringify({ jsonrpc: '2.0', id: 'deep', method: 'tools/call', params: { name: 'remote__deep' } }),
      });
      // Regression: serialising it for the client threw, and the call hung for ever. Now it is
      // either passed through as it came, or ends with an error that says why.
      expectWellFormed(fromServer);
      const answer = JSON.parse(fromServer.body) as { result?: unknown; error?: unknown };
      if (answer.error) expect(answer.error).toMatchObject({ code: -32603, message: /nested too deeply/ });
      else expect(answer.result).toHaveProperty('deep');
      await stillServes();
      await gw.gateway.audit.flush();
      expect((await gw.gateway.audit.verify()).ok).toBe(true);
    },
  );

  it('refuses oversize headers and a flood of headers, and keeps serving', async () => {
    const big = await send(port, { headers: { ...json, 'x-big': 'x'.repeat(64 * 1024) }, body: INIT }).catch(
      (e: Error) => ({ status: 0, body: e.message, headers: {} }),
    );
    expect(big.status === 431 || big.status === 0).toBe(true);
    const many: Record<string, string> = { ...json };
    for (let i = 0; i < 3000; i++) many[`x-h${i}`] = 'v';
    const flood = await send(port, { headers: many, body: INIT }).catch((e: Error) => ({
      status: 0,
      body: e.message,
      headers: {},
    }));
    expect(flood.status === 431 || flood.status === 0 || flood.status === 200).toBe(true);
    await stillServes();
  });
});

describe('stolen tokens', () => {
  it("a token from another user's data dir does not open this user's gateway, and token files are private", async () => {
    const mine = await startGateway({});
    const theirs = await startGateway({});
    try {
      const theirToken = theirs.token;
      const reply = await send(mine.gateway.port, {
        headers: {
          authorization: `Bearer ${theirToken}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: INIT,
      });
      expect(reply.status).toBe(401);
      // What stops another local user from reading a token: the file is the user's alone.
      for (const dir of [mine.dataDir, theirs.dataDir]) {
        const stat = await fs.stat(path.join(dir, 'client-tokens.json'));
        expect((stat.mode & 0o077).toString(8), dir).toBe('0');
      }
      // A token copied into this user's file by hand is still not one this gateway issued.
      const forged = 'gh_' + 'A'.repeat(43);
      const forgedReply = await send(mine.gateway.port, {
        headers: { authorization: `Bearer ${forged}`, 'content-type': 'application/json' },
        body: INIT,
      });
      expect(forgedReply.status).toBe(401);
    } finally {
      await mine.close();
      await theirs.close();
    }
  });
});

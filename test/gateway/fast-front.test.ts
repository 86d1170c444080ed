// The listener's fast front (src-main/core/listener/fast-front.ts) parses and answers MCP POSTs on
// the raw socket and gives every other connection to node:http. These tests speak raw HTTP/1.1 on
// one socket, the way the cases it must get right arrive: split and pipelined requests, a
// connection that moves to node:http after fast requests, and the requests it must leave to
// node:http (request smuggling shapes, chunked bodies) or refuse.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SocketReply } from '../../src-main/core/listener/socket-reply.ts';
import { servers, startGateway, type RunningGateway } from '../support/gateway-harness.ts';
import { rawRequest } from '../support/raw-http.ts';

type Answer = { status: number; headers: Record<string, string>; body: string };

/** Reads HTTP/1.1 responses off a socket (Content-Length or chunked bodies). */
class RawConnection {
  readonly socket: net.Socket;
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  ended = false;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (data: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      this.wake();
    });
    this.socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    this.socket.on('error', () => {});
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private async more(): Promise<void> {
    if (this.ended) throw new Error(`connection closed; unparsed: ${this.buffer.toString().slice(0, 200)}`);
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  async answer(): Promise<Answer> {
    for (;;) {
      const parsed = this.parse();
      if (parsed) return parsed;
      await this.more();
    }
  }

  /** Resolves once the server has closed the connection. */
  async closed(): Promise<void> {
    while (!this.ended) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private parse(): Answer | undefined {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const lines = this.buffer.toString('latin1', 0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(lines[0]!.split(' ')[1]);
    let rest = this.buffer.subarray(end + 4);
    let body: Buffer;
    if (headers['transfer-encoding'] === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = rest.indexOf('\r\n');
        if (lineEnd === -1) return undefined;
        const size = parseInt(rest.toString('latin1', 0, lineEnd), 16);
        if (rest.length < lineEnd + 2 + size + 2) return undefined;
        parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
        rest = rest.subarray(lineEnd + 2 + size + 2);
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else {
      const length = Number(headers['content-length'] ?? 0);
      if (rest.length < length) return undefined;
      body = rest.subarray(0, length);
      rest = rest.subarray(length);
    }
    this.buffer = rest;
    return { status, headers, body: body.toString('utf8') };
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('the fast front of the listener', () => {
  let gw: RunningGateway;
  let port: number;
  let sessionId: string;
  const open: RawConnection[] = [];

  beforeAll(async () => {
    gw = await startGateway({ test: servers.testUpstream() });
    port = gw.gateway.port;
    const init = await rawRequest(port, {
      path: '/servers/test/mcp',
      headers: {
        authorization: `Bearer ${gw.token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
    expect(init.status).toBe(200);
    sessionId = init.headers['mcp-session-id'] as string;
  });
  afterAll(async () => {
    for (const connection of open) connection.close();
    await gw?.close();
  });

  function connection(): RawConnection {
    const c = new RawConnection(port);
    open.push(c);
    return c;
  }

  function echoRequest(id: number, message: string, extraHeaders = ''): string {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'echo', arguments: { message } },
    });
    return (
      `POST /servers/test/mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${gw.token}\r\n` +
      `Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n` +
      `Mcp-Session-Id: ${sessionId}\r\n${extraHeaders}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    );
  }

  function echoed(answer: Answer): string {
    expect(answer.status, answer.body).toBe(200);
    const message = JSON.parse(answer.body) as { result: { content: { text: string }[] } };
    return message.result.content[0]!.text;
  }

  it('answers requests pipelined in one write, in order, on one connection', async () => {
    const c = connection();
    c.socket.write(echoRequest(1, 'first') + echoRequest(2, 'second') + echoRequest(3, 'third €'));
    expect(echoed(await c.answer())).toBe('first');
    expect(echoed(await c.answer())).toBe('second');
    expect(echoed(await c.answer())).toBe('third €');
  });

  it('reads a request that arrives a few bytes at a time (head and UTF-8 body split anywhere)', async () => {
    const c = connection();
    const bytes = Buffer.from(echoRequest(4, 'ünïcödé split'));
    for (let i = 0; i < bytes.length; i += 7) {
      c.socket.write(bytes.subarray(i, i + 7));
      await new Promise((r) => setImmediate(r));
    }
    expect(echoed(await c.answer())).toBe('ünïcödé split');
  });

  it('hands a kept-alive connection to node:http at the first request it does not take, unread bytes included', async () => {
    const c = connection();
    c.socket.write(
      echoRequest(5, 'fast') +
        `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n` +
        echoRequest(6, 'after the hand-off'),
    );
    expect(echoed(await c.answer())).toBe('fast');
    const health = await c.answer();
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ ok: true });
    expect(echoed(await c.answer())).toBe('after the hand-off');
  });

  it('leaves a chunked POST to node:http, which answers it the same way', async () => {
    const c = connection();
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'echo', arguments: { message: 'chunked' } },
    });
    c.socket.write(
      `POST /servers/test/mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${gw.token}\r\n` +
        `Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMcp-Session-Id: ${sessionId}\r\n` +
        `Transfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    );
    expect(echoed(await c.answer())).toBe('chunked');
  });

  it('refuses request-smuggling shapes (two Content-Lengths, Content-Length with chunked) with 400 and runs nothing', async () => {
    const twoLengths = connection();
    twoLengths.socket.write(echoRequest(8, 'smuggled', 'Content-Length: 5\r\n'));
    expect((await twoLengths.answer()).status).toBe(400);
    await twoLengths.closed();

    const both = connection();
    both.socket.write(echoRequest(9, 'smuggled', 'Transfer-Encoding: chunked\r\n'));
    expect((await both.answer()).status).toBe(400);
    await both.closed();

    const bareCr = connection();
    bareCr.socket.write(echoRequest(9, 'smuggled', 'X-Note: a\rContent-Length: 5\r\n'));
    expect((await bareCr.answer()).status).toBe(400);
    await bareCr.closed();
  });

  it('refuses a body over the limit with 413 and closes the connection instead of reading it', async () => {
    const c = connection();
    c.socket.write(
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${gw.token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n{"jsonrpc":`,
    );
    const answer = await c.answer();
    expect(answer.status).toBe(413);
    expect(answer.body).toMatch(/too large/);
    expect(answer.headers.connection).toBe('close');
    await c.closed();
  });

  it('answers a client that sends its requests and shuts its side of the connection at once', async () => {
    const c = connection();
    c.socket.end(echoRequest(17, 'half-closed') + echoRequest(18, 'and pipelined'));
    expect(echoed(await c.answer())).toBe('half-closed');
    expect(echoed(await c.answer())).toBe('and pipelined');
    await c.closed();
  });

  it('closes the connection after the answer when the client asks (Connection: close)', async () => {
    const c = connection();
    c.socket.write(echoRequest(10, 'bye', 'Connection: close\r\n'));
    const answer = await c.answer();
    expect(echoed(answer)).toBe('bye');
    expect(answer.headers.connection).toBe('close');
    await c.closed();
  });

  it('gives a request with a header named like an Object member (__proto__, constructor) to node:http, which serves it', async () => {
    const c = connection();
    c.socket.write(echoRequest(16, 'proto', '__proto__: x\r\nconstructor: y\r\n'));
    expect(echoed(await c.answer())).toBe('proto');
  });

  it('checks Host, Origin and the token on its requests as node:http requests are checked', async () => {
    const c = connection();
    c.socket.write(echoRequest(11, 'x').replace(`Host: 127.0.0.1:${port}`, 'Host: evil.example'));
    expect((await c.answer()).status).toBe(403);
    c.socket.write(echoRequest(12, 'x', 'Origin: https://evil.example\r\n'));
    expect((await c.answer()).status).toBe(403);
    c.socket.write(echoRequest(13, 'x').replace(gw.token, 'not-the-token'));
    expect((await c.answer()).status).toBe(401);
    c.socket.write(echoRequest(14, 'still served'));
    expect(echoed(await c.answer())).toBe('still served');
  });

  it('answers thousands of pipelined refusals in one write without overflowing its stack', async () => {
    const c = connection();
    const refused = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`;
    const count = 5000;
    c.socket.write(refused.repeat(count) + echoRequest(15, 'after the flood'));
    for (let i = 0; i < count; i++) expect((await c.answer()).status).toBe(401);
    expect(echoed(await c.answer())).toBe('after the flood');
  });
});

describe('SocketReply', () => {
  it('streams a chunked body in which an empty write is not read as the last chunk', async () => {
    const server = net.createServer((socket) => {
      const reply = new SocketReply(socket, true, () => {});
      reply.writeHead(200, { 'content-type': 'text/event-stream' });
      reply.write('');
      reply.write('event: message\ndata: 1\n\n');
      reply.write('');
      reply.end('event: message\ndata: 2\n\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const c = new RawConnection((server.address() as net.AddressInfo).port);
    try {
      const answer = await c.answer();
      expect(answer.headers['transfer-encoding']).toBe('chunked');
      expect(answer.body).toBe('event: message\ndata: 1\n\nevent: message\ndata: 2\n\n');
    } finally {
      c.close();
      server.close();
    }
  });
});

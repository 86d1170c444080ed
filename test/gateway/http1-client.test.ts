import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Http1Client } from '../../src-main/core/upstream/http1-client.ts';

/**
 * A raw TCP server that answers each request with `pieces`, written one by one with a pause in
 * between so they arrive as separate reads (a head, a chunk size or a UTF-8 character split
 * anywhere). `end` closes the socket after the last piece.
 */
async function rawServer(
  answer: (request: string, index: number) => { pieces: (string | Buffer)[]; end?: boolean },
): Promise<{ url: URL; requests: string[]; connections: () => number; close(): Promise<void> }> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = '';
    socket.on('data', async (data) => {
      buffered += data.toString('latin1');
      const headEnd = buffered.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const length = Number(/content-length: (\d+)/i.exec(buffered)?.[1] ?? 0);
      if (buffered.length < headEnd + 4 + length) return;
      const request = buffered.slice(0, headEnd + 4 + length);
      buffered = buffered.slice(request.length);
      requests.push(request);
      const { pieces, end } = answer(request, requests.length - 1);
      for (const piece of pieces) {
        socket.write(piece);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (end) socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    requests,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function text(client: Http1Client, headers: Record<string, string> = {}, body = '{}') {
  const response = await client.post('/mcp', headers, body);
  const chunks: Buffer[] = [];
  await response.read((chunk) => chunks.push(chunk));
  return { status: response.statusCode, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') };
}

describe('the HTTP/1.1 client the upstream transport POSTs with', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('reads chunked and Content-Length bodies split anywhere, UTF-8 included, on one kept-alive socket', async () => {
    const euro = Buffer.from('data: €\n\n');
    const server = await rawServer((_request, index) =>
      index === 0
        ? {
            pieces: [
              'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-A: 1\r\nx-a: 2\r\nTransfer-Encoding: chunked\r\n',
              `\r\n${euro.length.toString(16)}\r`,
              Buffer.concat([Buffer.from('\n'), euro.subarray(0, 7)]),
              Buffer.concat([euro.subarray(7), Buffer.from('\r\n0\r\n\r\n')]),
            ],
          }
        : { pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{"a":', '"é"}'] },
    );
    cleanups.push(() => server.close());
    const client = new Http1Client(server.url);
    cleanups.push(() => client.destroy());

    const first = await text(client, { Authorization: 'Bearer a', authorization: 'Bearer b', 'content-type': 'x' });
    expect(first).toMatchObject({ status: 200, text: 'data: €\n\n' });
    expect(first.headers['content-type']).toBe('text/event-stream');
    expect(first.headers['x-a']).toBe('1, 2');
    expect(server.requests[0]).toMatch(/^POST \/mcp HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\n/);
    expect(server.requests[0]!.match(/authorization/gi)).toHaveLength(1); // names are case-insensitive
    expect(server.requests[0]).toContain('authorization: Bearer b\r\n');
    expect(server.requests[0]).toMatch(/content-length: 2\r\n\r\n\{\}$/);

    const second = await text(client);
    expect(second).toMatchObject({ status: 200, text: '{"a":"é"}' });
    expect(server.connections()).toBe(1);
  });

  it('reads a body without a length to the close, and opens a new socket after it', async () => {
    const server = await rawServer(() => ({
      pieces: ['HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"x":', '1}'],
      end: true,
    }));
    cleanups.push(() => server.close());
    const client = new Http1Client(server.url);
    cleanups.push(() => client.destroy());
    expect((await text(client)).text).toBe('{"x":1}');
    expect((await text(client)).text).toBe('{"x":1}');
    expect(server.connections()).toBe(2);
  });

  it('skips a 100 Continue head, and a 202 with no body leaves the socket reusable', async () => {
    const server = await rawServer((_request, index) => ({
      pieces:
        index === 0
          ? ['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n']
          : ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'],
    }));
    cleanups.push(() => server.close());
    const client = new Http1Client(server.url);
    cleanups.push(() => client.destroy());
    const accepted = await client.post('/mcp', {}, '{}');
    expect(accepted.statusCode).toBe(202);
    accepted.discard();
    expect((await text(client)).text).toBe('ok');
    expect(server.connections()).toBe(1);
  });

  it('fails a read when the server cuts the connection mid-body, and a request when it never answers', async () => {
    const server = await rawServer((_request, index) =>
      index === 0
        ? { pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial'], end: true }
        : { pieces: [], end: true },
    );
    cleanups.push(() => server.close());
    const client = new Http1Client(server.url);
    cleanups.push(() => client.destroy());
    await expect(text(client)).rejects.toThrow(/closed the connection before the response ended/);
    await expect(client.post('/mcp', {}, '{}')).rejects.toThrow(/closed the connection/);
  });

  it('gives up on a response head that never ends instead of buffering it without bound', async () => {
    const endless = `HTTP/1.1 200 OK\r\n${'x-filler: y\r\n'.repeat(10_000)}`; // ~130 KB, no blank line
    const server = await rawServer(() => ({ pieces: [endless] }));
    cleanups.push(() => server.close());
    const client = new Http1Client(server.url);
    cleanups.push(() => client.destroy());
    await expect(client.post('/mcp', {}, '{}')).rejects.toThrow(/response head or chunk line over 65536 bytes/);
  });

  it('refuses a header value with a line break instead of sending it, and reports a refused connection', async () => {
    const server = await rawServer(() => ({ pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'] }));
    const client = new Http1Client(server.url);
    cleanups.push(() => client.destroy());
    await expect(client.post('/mcp', { 'x-evil': 'a\r\nx-injected: 1' }, '{}')).rejects.toThrow(/line break/);
    expect(server.requests).toHaveLength(0);
    await server.close();
    await expect(client.post('/mcp', {}, '{}')).rejects.toThrow(/ECONNREFUSED/);
  });
});

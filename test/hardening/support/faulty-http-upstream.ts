// A remote MCP server (Streamable HTTP, plain JSON answers) on 127.0.0.1:0 written with node:http,
// so that each fault is exactly what a broken network or server does:
//   echo       answers its message
//   headers    answers the HTTP headers the gateway sent with this call (header-injection tests)
//   drop       destroys the socket mid-call (connection reset)
//   fail500    answers HTTP 500 with an HTML error page
//   stall      never answers
//   deep       answers a result nested 100 000 levels deep (a hostile or broken server)
// Every tools/call is counted per tool, so a test can prove a call never reached the server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Message = { jsonrpc: '2.0'; id?: number | string; method: string; params?: Record<string, unknown> };

const TOOLS = ['echo', 'headers', 'drop', 'fail500', 'stall', 'deep'].map((name) => ({
  name,
  description: `fault fixture: ${name}`,
  inputSchema: { type: 'object', properties: { message: { type: 'string' } } },
}));

export type FaultyUpstream = {
  url: string;
  /** tools/call requests that reached the server, per tool name. */
  calls: Map<string, number>;
  /** Headers of every request the server received. */
  seenHeaders: http.IncomingHttpHeaders[];
  close(): Promise<void>;
};

export async function startFaultyUpstream(): Promise<FaultyUpstream> {
  const calls = new Map<string, number>();
  const seenHeaders: http.IncomingHttpHeaders[] = [];
  const stalled = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    seenHeaders.push(req.headers);
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const message = JSON.parse(Buffer.concat(chunks).toString()) as Message;
      if (message.id === undefined) {
        res.writeHead(202).end();
        return;
      }
      const answer = (result: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'faulty-1' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
      };
      if (message.method === 'initialize') {
        return answer({
          protocolVersion: (message.params?.protocolVersion as string) ?? '2025-11-25',
          capabilities: { tools: {} },
          serverInfo: { name: 'faulty-http-upstream', version: '1' },
        });
      }
      if (message.method === 'tools/list') return answer({ tools: TOOLS });
      if (message.method !== 'tools/call') return answer({});
      const name = String(message.params?.name);
      calls.set(name, (calls.get(name) ?? 0) + 1);
      const args = (message.params?.arguments ?? {}) as { message?: string };
      if (name === 'echo') return answer({ content: [{ type: 'text', text: args.message ?? '' }] });
      if (name === 'headers') return answer({ content: [{ type: 'text', text: JSON.stringify(req.headers) }] });
      if (name === 'drop') return req.socket.destroy();
      if (name === 'fail500') {
        res.writeHead(500, { 'content-type': 'text/html' }).end('<html><body>Internal Server Error</body></html>');
        return;
      }
      if (name === 'deep') {
        const deep = '['.repeat(100_000) + ']'.repeat(100_000);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":{"content":[],"deep":${deep}}}`);
        return;
      }
      stalled.add(res); // stall: held open until close()
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    calls,
    seenHeaders,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of stalled) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

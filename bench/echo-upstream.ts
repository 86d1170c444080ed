// The benchmark's upstream: an SDK `McpServer` over Streamable HTTP on 127.0.0.1, written the way
// the SDK's examples write one (express app, stateful sessions), with two tools:
//   echo  returns its message (the small call)
//   big   returns BENCH_BIG_KB KB of text (the large result; default 100)
// Run as a child process: prints its URL (http://127.0.0.1:PORT/mcp) on stdout and stops on SIGTERM.
// BENCH_UPSTREAM_JSON=1 answers POSTs with plain JSON instead of the SDK's default SSE stream.
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Request, Response } from 'express';
import { z } from 'zod';

const BIG_TEXT = 'x'.repeat(Number(process.env.BENCH_BIG_KB ?? 100) * 1024);
const JSON_RESPONSES = process.env.BENCH_UPSTREAM_JSON === '1';

function createEchoServer(): McpServer {
  const server = new McpServer({ name: 'gatehouse-bench-echo', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Returns the message it was given.', inputSchema: { message: z.string() } },
    async ({ message }) => ({ content: [{ type: 'text', text: message }] }),
  );
  server.registerTool('big', { description: `Returns ${BIG_TEXT.length} bytes of text.` }, async () => ({
    content: [{ type: 'text', text: BIG_TEXT }],
  }));
  return server;
}

function jsonRpcError(res: Response, status: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
}

async function main(): Promise<void> {
  const app = createMcpExpressApp({ host: '127.0.0.1' });
  const sessions = new Map<string, StreamableHTTPServerTransport>();

  app.all('/mcp', async (req: Request, res: Response) => {
    try {
      const sessionId = req.header('mcp-session-id');
      if (sessionId) {
        const transport = sessions.get(sessionId);
        if (!transport) return jsonRpcError(res, 404, `Session not found: ${sessionId}`);
        return await transport.handleRequest(req, res, req.body);
      }
      if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
        return jsonRpcError(res, 400, 'Bad Request: send initialize first');
      }
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        enableJsonResponse: JSON_RESPONSES,
        onsessioninitialized: (id) => void sessions.set(id, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await createEchoServer().connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      process.stderr.write(`bench upstream: ${error instanceof Error ? error.stack : String(error)}\n`);
      if (!res.headersSent) jsonRpcError(res, 500, 'Internal error in the bench upstream');
    }
  });

  const httpServer = await new Promise<HttpServer>((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  process.stdout.write(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp\n`);

  const stop = () => {
    for (const transport of sessions.values()) void transport.close();
    httpServer.closeAllConnections();
    httpServer.close(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench upstream: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

// The test upstream for the MCP conformance suite: serves every fixture the suite's server
// scenarios call by name, over Streamable HTTP (stateful sessions, resumable SSE) or stdio.
//
//   node test/conformance/upstream-server.ts [--port N]   prints its URL, e.g. http://127.0.0.1:N/mcp
//   node test/conformance/upstream-server.ts --stdio
//
// The port may also come from CONFORMANCE_UPSTREAM_PORT; 0 (the default) picks a free one.
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Request, Response } from 'express';
import { InMemoryEventStore } from './upstream/event-store.ts';
import { createFixtureServer } from './upstream/fixture-server.ts';

export type ConformanceUpstream = {
  /** The Streamable HTTP endpoint, `http://127.0.0.1:<port>/mcp`. */
  url: string;
  close(): Promise<void>;
};

/** How long a client waits before reconnecting after the server closes an SSE stream (SEP-1699). */
const SSE_RETRY_MS = 500;

function jsonRpcError(res: Response, status: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
}

export async function startConformanceUpstream(options: { port?: number } = {}): Promise<ConformanceUpstream> {
  // Host-header validation for 127.0.0.1 comes with the app: `dns-rebinding-protection` checks it.
  const app = createMcpExpressApp({ host: '127.0.0.1' });
  const sessions = new Map<string, StreamableHTTPServerTransport>();

  async function openSession(req: Request, res: Response): Promise<void> {
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      eventStore: new InMemoryEventStore(),
      retryInterval: SSE_RETRY_MS,
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, transport);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await createFixtureServer().connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  app.all('/mcp', async (req: Request, res: Response) => {
    try {
      const sessionId = req.header('mcp-session-id');
      if (sessionId) {
        const transport = sessions.get(sessionId);
        if (!transport) return jsonRpcError(res, 404, `Session not found: ${sessionId}`);
        return await transport.handleRequest(req, res, req.body);
      }
      if (req.method === 'POST' && isInitializeRequest(req.body)) return await openSession(req, res);
      jsonRpcError(res, 400, 'Bad Request: send initialize first, then the Mcp-Session-Id it returns');
    } catch (error) {
      process.stderr.write(`conformance upstream: ${error instanceof Error ? error.stack : String(error)}\n`);
      if (!res.headersSent) jsonRpcError(res, 500, 'Internal error in the conformance upstream');
    }
  });

  const httpServer = await new Promise<HttpServer>((resolve, reject) => {
    const listening = app.listen(options.port ?? 0, '127.0.0.1', (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  const { port } = httpServer.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      await Promise.allSettled([...sessions.values()].map((transport) => transport.close()));
      sessions.clear();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, stdio: { type: 'boolean' } } });
  if (values.stdio) {
    await createFixtureServer().connect(new StdioServerTransport());
    return;
  }
  const port = Number(values.port ?? process.env.CONFORMANCE_UPSTREAM_PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port: ${values.port}`);
  const upstream = await startConformanceUpstream({ port });
  process.stdout.write(`${upstream.url}\n`);
  const stop = () => void upstream.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`conformance upstream: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * "Any web server works": a bare endpoint that serves whatever body the test sets, with no token
 * check and no push channel (404 on /events), to feed the sync client documents the reference org
 * server would refuse to serve (invalid, replayed, unsigned).
 */
export type StaticEndpoint = {
  url: string;
  set(body: string, contentType?: string): void;
  requests: number;
  close(): Promise<void>;
};

export async function startStaticEndpoint(): Promise<StaticEndpoint> {
  let body = '';
  let contentType = 'application/json';
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    if (req.url !== '/policy') {
      res.statusCode = 404;
      res.end();
      return;
    }
    state.requests++;
    res.setHeader('Content-Type', contentType);
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/policy`,
    set(next, type = 'application/json') {
      body = next;
      contentType = type;
    },
    get requests() {
      return state.requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

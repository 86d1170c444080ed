// A loopback reverse proxy that adds `Authorization: Bearer <token>` to every request. The
// conformance suite cannot send custom headers, and the gateway rightly refuses requests without
// its token: the harness supplies the token here instead of weakening the gateway.
//
// Everything else passes through as the suite sent it, streamed both ways without buffering (SSE
// events reach the suite as the gateway writes them). The one translation: a Host or Origin that
// names the proxy itself is rewritten to name the gateway, which is exactly what the suite would
// have sent had it connected to the gateway directly. Any other Host or Origin (the suite's
// `evil.example.com` in `dns-rebinding-protection`) reaches the gateway untouched.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type BearerProxy = {
  /** `http://127.0.0.1:<port>`: use it in place of the target's origin. */
  origin: string;
  close(): Promise<void>;
};

// Per connection, not per message: Node's HTTP stack manages these on each side itself.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEndHeaders(rawHeaders: string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if (HOP_BY_HOP.has(name)) continue;
    const previous = headers[name];
    headers[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return headers;
}

export async function startBearerProxy(options: { target: URL; token: string }): Promise<BearerProxy> {
  const target = options.target;
  let ownHosts: Set<string> = new Set();

  const server = http.createServer((req, res) => {
    const headers = endToEndHeaders(req.rawHeaders);
    const host = typeof headers.host === 'string' ? headers.host : undefined;
    if (host && ownHosts.has(host)) headers.host = `${host.slice(0, host.lastIndexOf(':'))}:${target.port}`;
    const origin = typeof headers.origin === 'string' ? URL.parse(headers.origin) : null;
    if (origin && ownHosts.has(origin.host)) {
      headers.origin = `${origin.protocol}//${origin.hostname}:${target.port}`;
    }
    headers.authorization = `Bearer ${options.token}`;

    const forward = http.request({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers,
    });
    forward.setNoDelay(true);
    forward.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEndHeaders(answer.rawHeaders));
      res.flushHeaders();
      answer.on('data', (chunk: Buffer) => res.write(chunk));
      answer.on('end', () => res.end());
      answer.on('error', () => res.destroy());
    });
    forward.on('error', (error) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`Bearer proxy could not reach ${target.origin}: ${error.message}\n`);
    });
    // The suite closing its side (ending an SSE stream, a timeout) must close the gateway's side too.
    res.on('close', () => {
      if (!res.writableFinished) forward.destroy();
    });
    req.pipe(forward);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  ownHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);

  return {
    origin: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

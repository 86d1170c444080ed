import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pieces } from '../jsonrpc/pieces.ts';
import { BodyTooLarge, type EndpointRequest, type Reply } from './exchange.ts';

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

/** A request node:http parsed (the connections the fast front handed over), as the endpoint takes it. */
export function fromIncomingMessage(req: IncomingMessage): EndpointRequest {
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: req.headers,
    readBody: (limit) => readBody(req, limit),
  };
}

/** node:http's response as the endpoint writes to it, pieces of bytes (jsonrpc/pieces.ts) included. */
export function toReply(res: ServerResponse): Reply {
  const write = (chunk: string | Pieces) => {
    if (typeof chunk === 'string') return res.write(chunk);
    res.cork();
    let flowing = true;
    for (const piece of chunk) flowing = res.write(piece);
    res.uncork();
    return flowing;
  };
  const reply: Reply = {
    get headersSent() {
      return res.headersSent;
    },
    get destroyed() {
      return res.destroyed;
    },
    get writableLength() {
      return res.writableLength;
    },
    writeHead(status, headers) {
      res.writeHead(status, headers);
      return reply;
    },
    flushHeaders: () => res.flushHeaders(),
    write,
    end(chunk) {
      // Whole, so node:http sends a Content-Length (this path is rare: one copy is fine).
      res.end(chunk === undefined || typeof chunk === 'string' ? chunk : Buffer.concat(chunk));
      return reply;
    },
    on(event, listener) {
      res.on(event, listener);
      return reply;
    },
  };
  return reply;
}

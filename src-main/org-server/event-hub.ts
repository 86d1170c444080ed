import type { Request, Response } from 'express';

/**
 * The push channel: every connected laptop holds one SSE response open. A change sends one
 * `changed` event with no content (the laptop refetches with its own token, so per-user documents
 * never cross). Comments every few seconds keep proxies from closing idle connections and let the
 * client notice a dead one.
 */
export type EventHub = {
  handle(req: Request, res: Response): void;
  broadcast(event: string, data: unknown): void;
  readonly size: number;
  close(): void;
};

export function createEventHub(options: { heartbeatMs?: number } = {}): EventHub {
  const clients = new Set<Response>();
  const heartbeat = setInterval(() => {
    for (const res of clients) res.write(': ping\n\n');
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  return {
    handle(req, res) {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        // nginx buffers responses unless told not to, which would hold events back.
        'X-Accel-Buffering': 'no',
      });
      res.write('retry: 2000\n: connected\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
    },
    broadcast(event, data) {
      const message = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
      for (const res of clients) res.write(message);
    },
    get size() {
      return clients.size;
    },
    close() {
      clearInterval(heartbeat);
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}

// The HTTP adapter of the contract, mounted by the gateway's listener under /api (after its
// Host/Origin and local-token checks):
//   POST /api/<method>   JSON input → 200 JSON output, or an error body {error: {code, message}}
//   GET  /api/events     Server-Sent Events, one GatewayEvent per `data:` line
// The window reads the event stream with fetch (not EventSource) so it can send the bearer header.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiMethodNames, isApiMethod } from './contract.ts';
import type { GatewayApi, GatewayEvent } from './contract.ts';
import type { ApiErrorBody } from './errors.ts';
import { invokeApiMethod } from './invoke.ts';
import type { ServerFaultReporter } from './invoke.ts';
import { formatSseData } from './sse.ts';
import type { NodeHandler } from './ui-handler.ts';

export type ApiHandlerOptions = {
  /** Server faults (a throw without a code, an answer outside the contract), for the log. */
  onServerFault?: ServerFaultReporter;
  /** A comment line on idle event streams so proxies and the browser keep them open. */
  heartbeatMs?: number;
  maxBodyBytes?: number;
  /** A stream whose reader falls this far behind is closed; the window reconnects and refetches. */
  maxBufferedEventBytes?: number;
  /**
   * Local client ids whose token may use the API (e.g. ['window']). An AI client's token then
   * cannot reconfigure the gateway. Unset: every valid local token may.
   */
  allowedClients?: readonly string[];
};

export type ApiHandler = NodeHandler & {
  /** Ends every open event stream (call before closing the HTTP server, or it waits for them). */
  close(): void;
};

/** The one place API error codes become HTTP statuses; unknown codes from the core are its faults. */
const STATUS_BY_CODE: Record<string, number> = {
  'invalid-input': 400,
  'not-found': 404,
  'locked-by-policy': 409,
  conflict: 409,
  'not-signed-in': 401,
  forbidden: 403,
  unavailable: 503,
};

export function createApiHandler(api: GatewayApi, options: ApiHandlerOptions = {}): ApiHandler {
  const streams = new Set<ServerResponse>();
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;

  const handler = ((req, res, localClientId) => {
    if (options.allowedClients && localClientId !== undefined && !options.allowedClients.includes(localClientId)) {
      return sendError(res, 403, {
        code: 'forbidden',
        message: `The local token of '${localClientId}' is for MCP only; the window's API needs the window's own token (open the link 'gatehouse serve' prints).`,
      });
    }
    const route = (req.url ?? '/').split('?', 1)[0]!.replace(/^\/api(?=\/)/, '');
    if (route === '/events') {
      if (req.method !== 'GET') return sendMethodNotAllowed(res, 'GET');
      return openEventStream(api, req, res, streams, options);
    }
    const name = route.replace(/^\//, '');
    if (!isApiMethod(name)) {
      return sendError(res, 404, {
        code: 'not-found',
        message: `No API method '${name}'. Methods: ${apiMethodNames.join(', ')}; live events at GET /api/events.`,
      });
    }
    if (req.method !== 'POST') return sendMethodNotAllowed(res, 'POST');
    void readJsonBody(req, maxBodyBytes).then(
      async (body) => {
        if (!body.ok) return sendError(res, body.status, body.error);
        const result = await invokeApiMethod(api, name, body.value, options.onServerFault);
        if (result.ok) return sendJson(res, 200, result.value);
        sendError(res, STATUS_BY_CODE[result.error.code] ?? 500, result.error);
      },
      (error: unknown) => {
        options.onServerFault?.(name, error);
        if (!res.headersSent)
          sendError(res, 500, { code: 'internal', message: 'Gatehouse could not read the request.' });
      },
    );
  }) as ApiHandler;

  handler.close = () => {
    for (const res of streams) res.end();
    streams.clear();
  };
  return handler;
}

function openEventStream(
  api: GatewayApi,
  req: IncomingMessage,
  res: ServerResponse,
  streams: Set<ServerResponse>,
  options: ApiHandlerOptions,
): void {
  const maxBuffered = options.maxBufferedEventBytes ?? 8 * 1024 * 1024;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Accel-Buffering': 'no',
  });
  res.write(': gatehouse events\n\n');
  streams.add(res);
  const unsubscribe = api.subscribe((event: GatewayEvent) => {
    if (res.writableEnded) return;
    if (res.writableLength > maxBuffered) return void res.end();
    res.write(formatSseData(JSON.stringify(event)));
  });
  const heartbeat = setInterval(() => res.write(': ping\n\n'), options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  const stop = () => {
    clearInterval(heartbeat);
    unsubscribe();
    streams.delete(res);
  };
  res.on('close', stop);
  req.on('close', stop);
}

type BodyResult = { ok: true; value: unknown } | { ok: false; status: number; error: ApiErrorBody };

async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  // Another middleware (express.json) may have parsed the body already.
  const parsed = (req as { body?: unknown }).body;
  if (parsed !== undefined) return { ok: true, value: parsed };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      return {
        ok: false,
        status: 413,
        error: { code: 'invalid-input', message: `The request body is larger than ${maxBytes} bytes.` },
      };
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { ok: true, value: undefined };
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    return {
      ok: false,
      status: 415,
      error: { code: 'invalid-input', message: 'Send the input as JSON (Content-Type: application/json).' },
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (cause) {
    return {
      ok: false,
      status: 400,
      error: { code: 'invalid-input', message: `The request body is not valid JSON: ${(cause as Error).message}` },
    };
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value ?? null);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, error: ApiErrorBody): void {
  sendJson(res, status, { error });
}

function sendMethodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  sendError(res, 405, { code: 'invalid-input', message: `Use ${allow} for this path.` });
}

// The HTTP transport: what the window uses in a browser (headless mode) and what the CLI can use
// to reach a running gateway. Browser-safe: only fetch, streams and timers.
import type { ApiTransport } from './client.ts';
import type { ApiMethod } from './contract.ts';
import { ApiErrorBodySchema } from './errors.ts';
import type { WireResult } from './invoke.ts';
import { SseParser } from './sse.ts';

export type HttpTransportOptions = {
  /** The gateway's origin, e.g. http://127.0.0.1:7391 (the API lives under /api). */
  baseUrl: string;
  /** The local token; sent as a bearer header on every request, including the event stream. */
  token?: string;
  fetch?: typeof globalThis.fetch;
  /** First reconnect delay of the event stream; it doubles up to 10 s while the gateway is away. */
  reconnectDelayMs?: number;
};

export function createHttpTransport(options: HttpTransportOptions): ApiTransport {
  const fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = options.baseUrl.replace(/\/+$/, '') + '/api';
  const auth: Record<string, string> = options.token ? { Authorization: `Bearer ${options.token}` } : {};

  async function call(method: ApiMethod, input: unknown): Promise<WireResult> {
    let response: Response;
    try {
      response = await fetch(`${base}/${method}`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(input ?? {}),
      });
    } catch (cause) {
      return failure(
        'unreachable',
        `Gatehouse is not reachable at ${options.baseUrl} (${(cause as Error).message}). Is it running?`,
      );
    }
    const body = await response.json().catch(() => undefined);
    if (response.ok) return { ok: true, value: body };
    const error = ApiErrorBodySchema.safeParse((body as { error?: unknown } | undefined)?.error);
    if (error.success) return { ok: false, error: error.data };
    if (response.status === 401 || response.status === 403) {
      return failure(
        'unauthorized',
        `Gatehouse refused this window's token (HTTP ${response.status}). Open the link that 'gatehouse serve' printed again, or run 'npm start'.`,
      );
    }
    return failure('transport', `Gatehouse answered ${method} with HTTP ${response.status}.`);
  }

  function subscribe(listener: (event: unknown) => void): () => void {
    const controller = new AbortController();
    void streamEvents(fetch, `${base}/events`, auth, listener, controller.signal, options.reconnectDelayMs ?? 500);
    return () => controller.abort();
  }

  return { call, subscribe };
}

/**
 * Reads the SSE stream with fetch (EventSource cannot send the bearer header) and reconnects with
 * backoff. Emits `stream` events so the window can show an outage and refetch after it.
 */
async function streamEvents(
  fetch: typeof globalThis.fetch,
  url: string,
  auth: Record<string, string>,
  listener: (event: unknown) => void,
  signal: AbortSignal,
  firstDelayMs: number,
): Promise<void> {
  let delay = firstDelayMs;
  let reportedDown = false;
  while (!signal.aborted) {
    try {
      const response = await fetch(url, {
        headers: { ...auth, Accept: 'text/event-stream' },
        signal,
        cache: 'no-store',
      });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      listener({ type: 'stream', state: 'open' });
      reportedDown = false;
      delay = firstDelayMs;
      const parser = new SseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const data of parser.push(value)) {
          try {
            listener(JSON.parse(data));
          } catch {
            // a malformed event is dropped; the stream goes on
          }
        }
      }
    } catch {
      // network error or abort: handled below
    }
    if (signal.aborted) return;
    if (!reportedDown) listener({ type: 'stream', state: 'reconnecting' });
    reportedDown = true;
    await sleep(delay, signal);
    delay = Math.min(delay * 2, 10_000);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

function failure(code: string, message: string): WireResult {
  return { ok: false, error: { code, message } };
}

/**
 * A small Server-Sent Events reader over fetch. The browser EventSource cannot send the bearer
 * token, and the push channel only needs "something changed", so this reads just `event` and `data`
 * and treats every chunk (including `: ping` comments) as a sign the connection is alive.
 */
type ServerSentEvent = { event: string; data: string };

export type EventStreamOptions = {
  url: string;
  headers: Record<string, string>;
  fetch: typeof fetch;
  signal: AbortSignal;
  /** No bytes for this long (not even a heartbeat) means the connection is dead: give up on it. */
  idleTimeoutMs: number;
  onOpen: () => void;
  onEvent: (event: ServerSentEvent) => void;
};

export class EventStreamError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStreamError';
    this.status = status;
  }
}

/** Resolves when the server ends the stream; rejects on errors, idle timeout or abort. */
export async function readEventStream(options: EventStreamOptions): Promise<void> {
  const idle = new AbortController();
  const signal = AbortSignal.any([options.signal, idle.signal]);
  let idleTimer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(
      () => idle.abort(new EventStreamError('the push channel went silent')),
      options.idleTimeoutMs,
    );
  };
  touch();
  try {
    const response = await options.fetch(options.url, {
      headers: { ...options.headers, Accept: 'text/event-stream', 'Cache-Control': 'no-cache' },
      signal,
    });
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new EventStreamError(`the push channel answered HTTP ${response.status}`, response.status);
    }
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream')) {
      await response.body.cancel();
      throw new EventStreamError(`the push channel answered ${type || 'no content type'}, not text/event-stream`);
    }
    options.onOpen();
    const parser = createParser(options.onEvent);
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      touch();
      parser(decoder.decode(chunk, { stream: true }));
    }
  } catch (error) {
    if (idle.signal.aborted) throw idle.signal.reason;
    throw error;
  } finally {
    clearTimeout(idleTimer);
  }
}

function createParser(onEvent: (event: ServerSentEvent) => void): (text: string) => void {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  return (text) => {
    buffer += text;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (data.length > 0 || event) onEvent({ event: event || 'message', data: data.join('\n') });
        event = '';
        data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
    }
  };
}

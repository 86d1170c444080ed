/** One Server-Sent Event as the MCP transports use it. */
export type SseEvent = { event: string; data: string; id?: string; retry?: number };

/**
 * Incremental SSE parser (the WHATWG event-stream format, the parts MCP uses): feed it text
 * chunks as they arrive; it calls `onEvent` for every complete event (id and retry are sticky,
 * as the format says). Comments are ignored.
 */
export function createSseParser(onEvent: (event: SseEvent) => void): (chunk: string) => void {
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  let retry: number | undefined;
  let resumable = false; // this event set an id or retry: worth reporting even without data
  return (chunk) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        // An event with only an id (and retry) still matters: it is a point to resume from.
        if (data.length > 0 || resumable) {
          const extra = { ...(id !== undefined && { id }), ...(retry !== undefined && { retry }) };
          onEvent({ event: event || 'message', data: data.join('\n'), ...extra });
        }
        data = [];
        event = '';
        resumable = false;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
      else if (field === 'id') {
        id = value;
        resumable = true;
      } else if (field === 'retry' && /^\d+$/.test(value)) {
        retry = Number(value);
        resumable = true;
      }
    }
  };
}

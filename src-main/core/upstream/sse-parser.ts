/** One Server-Sent Event as the MCP transports use it. */
export type SseEvent = { event: string; data: string; id?: string; retry?: number };

/**
 * Incremental SSE parser (the WHATWG event-stream format, the parts MCP uses): feed it text
 * chunks as they arrive; it calls `onEvent` for every complete event (id and retry are sticky,
 * as the format says). Comments are ignored.
 *
 * Linear in the input: only each new chunk is searched for line ends, and a line that spans
 * chunks is joined once, when its end arrives (a large event comes in many chunks; re-scanning
 * and re-concatenating a buffer per chunk made it quadratic). CR and CRLF line ends are turned
 * into LF as chunks arrive, so the scan looks for one character.
 */
export function createSseParser(onEvent: (event: SseEvent) => void): (chunk: string) => void {
  let partial: string[] = []; // the start of a line whose end has not arrived, in pieces
  let dropLeadingLf = false; // the last chunk ended with CR: a LF right after belongs to it
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  let retry: number | undefined;
  let resumable = false; // this event set an id or retry: worth reporting even without data

  const dispatch = () => {
    // An event with only an id (and retry) still matters: it is a point to resume from.
    if (data.length > 0 || resumable) {
      const extra = { ...(id !== undefined && { id }), ...(retry !== undefined && { retry }) };
      onEvent({ event: event || 'message', data: data.length === 1 ? data[0]! : data.join('\n'), ...extra });
    }
    data = [];
    event = '';
    resumable = false;
  };

  const line = (text: string) => {
    if (text === '') return dispatch();
    if (text.charCodeAt(0) === 58 /* ':' */) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id') {
      id = value;
      resumable = true;
    } else if (field === 'retry' && /^\d+$/.test(value)) {
      retry = Number(value);
      resumable = true;
    }
  };

  return (input) => {
    let chunk = input;
    if (dropLeadingLf && chunk.length > 0) {
      if (chunk.charCodeAt(0) === 10) chunk = chunk.slice(1);
      dropLeadingLf = false;
    }
    if (chunk.includes('\r')) {
      dropLeadingLf = chunk.endsWith('\r');
      chunk = chunk.replace(/\r\n?/g, '\n');
    }
    let start = 0;
    let end: number;
    while ((end = chunk.indexOf('\n', start)) !== -1) {
      let text = chunk.slice(start, end);
      if (partial.length > 0) {
        partial.push(text);
        text = partial.join('');
        partial = [];
      }
      line(text);
      start = end + 1;
    }
    if (start < chunk.length) partial.push(start === 0 ? chunk : chunk.slice(start));
  };
}

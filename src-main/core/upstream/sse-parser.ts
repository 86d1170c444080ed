import { byteLength, dropHead, joinPieces, sliceBytes, type Pieces } from '../jsonrpc/pieces.ts';

/**
 * One Server-Sent Event as the MCP transports use it. `data` stays bytes, in the pieces it
 * arrived in: a large tool result is forwarded as it came, never copied, decoded and encoded
 * again (jsonrpc/raw-bytes.ts, jsonrpc/pieces.ts).
 */
export type SseEvent = {
  event: string;
  data: Pieces;
  /** How many `data:` lines made `data` (joined with LF): with one, `data` holds no CR or LF. */
  lines: number;
  id?: string;
  retry?: number;
};

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const NEWLINE = Buffer.from('\n');
/** The longest field MCP uses ("event", "retry") and its colon and space. */
const FIELD_HEAD_BYTES = 7;

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Incremental SSE parser (the WHATWG event-stream format, the parts MCP uses) over bytes: feed it
 * chunks as they arrive; it calls `onEvent` for every complete event (id and retry are sticky,
 * as the format says). Comments are ignored. Bytes, not text: a multi-byte character cut between
 * chunks is whole again by the time anything decodes it.
 *
 * Linear in the input and copy-free: each chunk is searched once for line ends (LF, CR or CRLF;
 * Python servers end lines with CRLF), and a line that spans chunks is kept as its pieces.
 */
export function createSseParser(onEvent: (event: SseEvent) => void): (chunk: Uint8Array) => void {
  let partial: Buffer[] = []; // the start of a line whose end has not arrived, in pieces
  let dropLeadingLf = false; // the last chunk ended with CR: a LF right after belongs to it
  let data: Buffer[] = [];
  let lines = 0;
  let event = '';
  let id: string | undefined;
  let retry: number | undefined;
  let resumable = false; // this event set an id or retry: worth reporting even without data

  const dispatch = () => {
    // An event with only an id (and retry) still matters: it is a point to resume from.
    if (lines > 0 || resumable) {
      const extra = { ...(id !== undefined && { id }), ...(retry !== undefined && { retry }) };
      onEvent({ event: event || 'message', data, lines, ...extra });
    }
    data = [];
    lines = 0;
    event = '';
    resumable = false;
  };

  const line = (pieces: Buffer[]) => {
    const length = byteLength(pieces);
    if (length === 0) return dispatch();
    const head = sliceBytes(pieces, 0, Math.min(length, FIELD_HEAD_BYTES));
    if (head[0] === COLON) return;
    const colon = head.indexOf(COLON);
    // No MCP field is longer than "event" and "retry"; unknown fields are ignored.
    if (colon === -1 ? length > FIELD_HEAD_BYTES - 2 : colon > FIELD_HEAD_BYTES - 2) return;
    const fieldEnd = colon === -1 ? length : colon;
    const valueStart = colon === -1 ? length : head[colon + 1] === SPACE ? colon + 2 : colon + 1;
    const field = head.toString('latin1', 0, fieldEnd);
    if (field === 'data') {
      if (lines > 0) data.push(NEWLINE);
      for (const piece of dropHead(pieces, valueStart)) data.push(piece);
      lines++;
      return;
    }
    const value = () => joinPieces(dropHead(pieces, valueStart)).toString('utf8');
    if (field === 'event') event = value();
    else if (field === 'id') {
      id = value();
      resumable = true;
    } else if (field === 'retry') {
      const text = value();
      if (/^\d+$/.test(text)) {
        retry = Number(text);
        resumable = true;
      }
    }
  };

  return (input) => {
    let chunk = asBuffer(input);
    if (dropLeadingLf && chunk.length > 0) {
      if (chunk[0] === LF) chunk = chunk.subarray(1);
      dropLeadingLf = false;
    }
    // The next LF and CR at or after `start`, each searched for again only once passed.
    let nextLf = chunk.indexOf(LF);
    let nextCr = chunk.indexOf(CR);
    let start = 0;
    for (;;) {
      if (nextLf !== -1 && nextLf < start) nextLf = chunk.indexOf(LF, start);
      if (nextCr !== -1 && nextCr < start) nextCr = chunk.indexOf(CR, start);
      let end: number;
      let next: number;
      if (nextCr !== -1 && (nextLf === -1 || nextCr < nextLf)) {
        end = nextCr;
        next = nextCr + 1;
        if (next === chunk.length) dropLeadingLf = true;
        else if (chunk[next] === LF) next++;
      } else if (nextLf !== -1) {
        end = nextLf;
        next = nextLf + 1;
      } else {
        break;
      }
      const last = chunk.subarray(start, end);
      if (partial.length > 0) {
        partial.push(last);
        line(partial);
        partial = [];
      } else {
        line([last]);
      }
      start = next;
    }
    if (start < chunk.length) partial.push(start === 0 ? chunk : chunk.subarray(start));
  };
}

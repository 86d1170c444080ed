import type { JsonRpcMessage, JsonRpcResponse, RequestId } from './messages.ts';
import { byteLength, includesByte, sliceBytes, splicePieces, type Pieces } from './pieces.ts';

/**
 * Raw pass-through of responses. A tool result can be megabytes; parsing it is cheap in V8, but
 * serialising it again (and JSON.stringify of a large string is several times slower than the
 * parse) was most of what a large result cost on the way through the gateway. So a response keeps
 * the text it arrived as, and going out only its top-level `id` is spliced in.
 *
 * A large response from a server keeps its bytes instead of its text, and goes out as those bytes
 * (raw-bytes.ts).
 *
 * The text is tied to the parsed object (WeakMap) and is used only while that object's `id` is
 * the one spliced in. The gateway never mutates a response: what changes one (list filtering,
 * a gateway failure turned into a tool error) builds a new object, which has no text and is
 * serialised as usual. Kept bytes are never written to either: a splice makes new pieces, as
 * bytes already handed to a socket may not have gone out yet.
 */
export type RawText = {
  /** The JSON as text, or as UTF-8 bytes (a large response). */
  text: string | Pieces;
  /** Where the top-level `id` value sits in `text` (in bytes when `text` is bytes). */
  idStart: number;
  idEnd: number;
  id: RequestId;
  /** Whether the kept text has a line break (it cannot be an SSE data line then). */
  multiline: boolean;
  /** The same message under another id, made without reading its members (a result parsed later: raw-bytes.ts). */
  withId?: (id: RequestId) => JsonRpcResponse;
};

const rawTexts = new WeakMap<object, RawText>();

/**
 * JSON.parse that remembers the text of a response (an object with `result` or `error` and no
 * `method`) whose top-level `id` it can locate unambiguously. Throws like JSON.parse.
 */
export function parseJsonRpcText(text: string): unknown {
  return parseKeeping(text, text, text);
}

/**
 * Parses `text`; a response remembers `kept`, whose id is located in `scan` (offsets alike).
 * `multiline`: whether `kept` has a CR or LF, when the caller knows (else it is searched).
 */
export function parseKeeping(text: string, kept: string | Pieces, scan: string, multiline?: boolean): unknown {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const message = value as Record<string, unknown>;
  if ('method' in message || !('result' in message || 'error' in message)) return value;
  const id = message.id;
  if (typeof id !== 'string' && typeof id !== 'number') return value;
  const span = topLevelIdSpan(scan);
  if (span && sameId(scan.slice(span[0], span[1]), id)) {
    rawTexts.set(message, {
      text: kept,
      idStart: span[0],
      idEnd: span[1],
      id,
      multiline:
        multiline ??
        (typeof kept === 'string' ? /[\r\n]/.test(kept) : includesByte(kept, 10) || includesByte(kept, 13)),
    });
  }
  return value;
}

/** `message` goes out as `raw` (raw-bytes.ts). */
export function keepRaw(message: JsonRpcResponse, raw: RawText): void {
  rawTexts.set(message, raw);
}

/** `message` is serialised as usual from now on (what it kept turned out not to be valid JSON). */
export function forgetRaw(message: JsonRpcResponse): void {
  rawTexts.delete(message);
}

/** `response` under another id; keeps its text (with the new id spliced in when it goes out). */
export function withResponseId(response: JsonRpcResponse, id: RequestId): JsonRpcResponse {
  const raw = rawTexts.get(response);
  const kept = raw !== undefined && raw.id === response.id;
  const copy = kept && raw.withId ? raw.withId(id) : ({ ...response, id } as JsonRpcResponse);
  if (kept) rawTexts.set(copy, { ...raw, id });
  return copy;
}

/**
 * The JSON of `message`: the text or bytes it arrived as (id spliced) when there are some, else
 * JSON.stringify. `singleLine` (an SSE `data:` line) refuses a kept text that has line breaks.
 */
export function serializeJsonRpc(message: JsonRpcMessage, options: { singleLine?: boolean } = {}): string | Pieces {
  const raw = rawTexts.get(message);
  if (!raw || !('id' in message) || message.id !== raw.id) return JSON.stringify(message);
  if (options.singleLine && raw.multiline) return JSON.stringify(message);
  const idText = JSON.stringify(raw.id);
  const { text, idStart, idEnd } = raw;
  if (typeof text === 'string') {
    if (text.slice(idStart, idEnd) === idText) return text;
    const spliced = `${text.slice(0, idStart)}${idText}${text.slice(idEnd)}`;
    // Cached, so the audit's byte count and the write share one (flattened) string.
    rawTexts.set(message, { ...raw, text: spliced, idEnd: idStart + idText.length });
    return spliced;
  }
  const idBytes = Buffer.from(idText);
  if (sliceBytes(text, idStart, idEnd).equals(idBytes)) return text;
  const spliced = splicePieces(text, idStart, idEnd, idBytes);
  rawTexts.set(message, { ...raw, text: spliced, idEnd: idStart + idBytes.length });
  return spliced;
}

/** Size of `message` on the wire as UTF-8 JSON. */
export function jsonRpcByteLength(message: JsonRpcMessage | undefined): number {
  return message === undefined ? 0 : wireLength(serializeJsonRpc(message));
}

/** Bytes of what serializeJsonRpc gave. */
export function wireLength(json: string | Pieces): number {
  return typeof json === 'string' ? Buffer.byteLength(json) : byteLength(json);
}

function sameId(idText: string, id: string | number): boolean {
  try {
    return JSON.parse(idText) === id;
  } catch {
    return false;
  }
}

const QUOTE = 34;
const BACKSLASH = 92;

/**
 * Where the value of the top-level member "id" is in `text` (valid JSON, as JSON.parse accepted
 * it), or undefined when it is not unambiguous. Fast case: "id" is the last member (what the
 * TypeScript SDK writes): it is then the one every last-wins parser reads, found from the end.
 * Otherwise one forward pass over the top-level members, jumping over strings with indexOf.
 */
function topLevelIdSpan(text: string): [number, number] | undefined {
  const tail = /,\s*"id"\s*:\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"[^"\\\n]*")\s*\}\s*$/.exec(
    text.length > 200 ? text.slice(-200) : text,
  );
  if (tail) {
    const offset = text.length > 200 ? text.length - 200 : 0;
    const start = offset + tail.index + tail[0].lastIndexOf(tail[1]!);
    return [start, start + tail[1]!.length];
  }
  return scanTopLevelId(text);
}

function scanTopLevelId(text: string): [number, number] | undefined {
  let i = skipWhitespace(text, 0);
  if (text[i] !== '{') return undefined;
  i = skipWhitespace(text, i + 1);
  let found: [number, number] | undefined;
  while (text[i] !== '}') {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0) return undefined;
    const key = text.slice(i, keyEnd);
    // An escaped key could spell "id" ("\u0069d"): not worth decoding, not unambiguous.
    if (key.includes('\\')) return undefined;
    i = skipWhitespace(text, keyEnd);
    if (text[i] !== ':') return undefined;
    const valueStart = skipWhitespace(text, i + 1);
    const valueEnd = valueEndAt(text, valueStart);
    if (valueEnd < 0) return undefined;
    if (key === '"id"') {
      if (found) return undefined; // a duplicate id: which one a client reads is up to its parser
      found = [valueStart, valueEnd];
    }
    i = skipWhitespace(text, valueEnd);
    if (text[i] === ',') i = skipWhitespace(text, i + 1);
    else if (text[i] !== '}') return undefined;
  }
  return found;
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    i++;
  }
}

/** Index just after the string literal that opens at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let j = quote - 1; text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

const STRUCTURAL = /["[\]{}]/g;
const PRIMITIVE_END = /[\s,\]}]/g;

/** Index just after the JSON value that starts at `start`, or -1. */
function valueEndAt(text: string, start: number): number {
  const first = text[start];
  if (first === '"') return stringEnd(text, start);
  if (first !== '{' && first !== '[') {
    PRIMITIVE_END.lastIndex = start;
    const end = PRIMITIVE_END.exec(text);
    return end ? end.index : text.length;
  }
  let depth = 0;
  let i = start;
  for (;;) {
    STRUCTURAL.lastIndex = i;
    const next = STRUCTURAL.exec(text);
    if (!next) return -1;
    i = next.index;
    const ch = text[i];
    if (ch === '"') {
      i = stringEnd(text, i);
      if (i < 0) return -1;
      continue;
    }
    depth += ch === '{' || ch === '[' ? 1 : -1;
    i++;
    if (depth === 0) return i;
  }
}

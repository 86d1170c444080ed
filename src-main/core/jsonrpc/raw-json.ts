import type { JsonRpcMessage, JsonRpcResponse, RequestId } from './messages.ts';

/**
 * Raw pass-through of responses. A tool result can be megabytes; parsing it is cheap in V8, but
 * serialising it again (and JSON.stringify of a large string is several times slower than the
 * parse) was most of what a large result cost on the way through the gateway. So a response keeps
 * the text it arrived as, and going out only its top-level `id` is spliced in.
 *
 * The text is tied to the parsed object (WeakMap) and is used only while that object's `id` is
 * the one spliced in. The gateway never mutates a response: what changes one (list filtering,
 * a gateway failure turned into a tool error) builds a new object, which has no text and is
 * serialised as usual.
 */
type RawText = {
  text: string;
  /** Where the top-level `id` value sits in `text`. */
  idStart: number;
  idEnd: number;
  id: RequestId;
};

const rawTexts = new WeakMap<object, RawText>();

/**
 * JSON.parse that remembers the text of a response (an object with `result` or `error` and no
 * `method`) whose top-level `id` it can locate unambiguously. Throws like JSON.parse.
 */
export function parseJsonRpcText(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const message = value as Record<string, unknown>;
  if ('method' in message || !('result' in message || 'error' in message)) return value;
  const id = message.id;
  if (typeof id !== 'string' && typeof id !== 'number') return value;
  const span = topLevelIdSpan(text);
  if (span && sameId(text.slice(span[0], span[1]), id)) {
    rawTexts.set(message, { text, idStart: span[0], idEnd: span[1], id });
  }
  return value;
}

/** `response` under another id; keeps its text (with the new id spliced in when it goes out). */
export function withResponseId(response: JsonRpcResponse, id: RequestId): JsonRpcResponse {
  const copy = { ...response, id } as JsonRpcResponse;
  const raw = rawTexts.get(response);
  if (raw && raw.id === response.id) rawTexts.set(copy, { ...raw, id });
  return copy;
}

/**
 * The JSON text of `message`: the text it arrived as (id spliced) when there is one, else
 * JSON.stringify. `singleLine` (an SSE `data:` line) refuses a kept text that has line breaks.
 */
export function serializeJsonRpc(message: JsonRpcMessage, options: { singleLine?: boolean } = {}): string {
  const raw = rawTexts.get(message);
  if (!raw || !('id' in message) || message.id !== raw.id) return JSON.stringify(message);
  const idText = JSON.stringify(raw.id);
  let text = raw.text;
  if (text.slice(raw.idStart, raw.idEnd) !== idText) {
    text = `${text.slice(0, raw.idStart)}${idText}${text.slice(raw.idEnd)}`;
    // Cached, so the audit's byte count and the write share one (flattened) string.
    rawTexts.set(message, { text, idStart: raw.idStart, idEnd: raw.idStart + idText.length, id: raw.id });
  }
  if (options.singleLine && (text.includes('\n') || text.includes('\r'))) return JSON.stringify(message);
  return text;
}

/** Size of `message` on the wire as UTF-8 JSON. */
export function jsonRpcByteLength(message: JsonRpcMessage | undefined): number {
  return message === undefined ? 0 : Buffer.byteLength(serializeJsonRpc(message));
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

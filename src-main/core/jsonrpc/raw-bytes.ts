import { isAscii } from 'node:buffer';
import type { JsonRpcSuccess, RequestId } from './messages.ts';
import { byteLength, includesByte, joinPieces, sliceBytes, type Pieces } from './pieces.ts';
import { forgetRaw, keepRaw, parseKeeping } from './raw-json.ts';

/**
 * Parsing what a server sent, as bytes (in the pieces they arrived in, pieces.ts). A large
 * response keeps its bytes and goes out as them: encoding a 100 KB string to UTF-8 again cost
 * more than parsing it (bench: 100 KB ratio).
 *
 * A large successful result in the exact layout an MCP SDK writes is not even parsed before it
 * goes out: on the way through nothing reads it (a tools/call result is passed on as it is), and
 * JSON.parse of 100 KB was the largest step between the server's last byte and the client's first.
 * It is parsed when something reads `result` (a list filtered by policy, before it goes out; the
 * audit log and the window, after). What is checked before it goes out: the layout, the id, one
 * line. Bytes that then turn out not to be JSON reach the client as the server sent them, as they
 * would without Gatehouse, and the audit records the call as a tool error that says so.
 */

/** Responses from this many bytes on keep their bytes rather than their text. */
const KEEP_BYTES_FROM = 16 * 1024;

/** `{"result":…,"jsonrpc":"2.0","id":7}`: the TypeScript SDK. Ids to a server are Gatehouse's, numbers. */
const RESULT_FIRST = Buffer.from('{"result":{');
const RESULT_FIRST_TAIL = /,"jsonrpc":"2\.0","id":(\d{1,15})\}$/;
/** `{"jsonrpc":"2.0","id":7,"result":…}`: the Python SDK (pydantic). */
const ID_FIRST = Buffer.from('{"jsonrpc":"2.0","id":');
const ID_FIRST_HEAD = /^\{"jsonrpc":"2\.0","id":(\d{1,15}),"result":\{/;
const LF = 10;
const CR = 13;
const CLOSE_BRACE = 125;

const latin1 = (pieces: Pieces) => pieces.map((piece) => piece.toString('latin1')).join('');

function decode(pieces: Pieces): string {
  // Most JSON is ASCII: that decodes as latin1 at half the cost of UTF-8, and its character
  // offsets are then its byte offsets. UTF-8 is decoded whole: a character may span pieces.
  return pieces.every((piece) => isAscii(piece)) ? latin1(pieces) : joinPieces(pieces).toString('utf8');
}

/**
 * parseJsonRpcText (raw-json.ts) for UTF-8 bytes. Throws like JSON.parse. `lineFree`: the bytes
 * are known to hold no CR or LF (one SSE data line), so a large answer is not searched for them.
 */
export function parseJsonRpcBytes(pieces: Pieces, lineFree = false): unknown {
  const length = byteLength(pieces);
  if (length < KEEP_BYTES_FROM) {
    const text = decode(pieces);
    return parseKeeping(text, text, text);
  }
  const multiline = lineFree ? false : includesByte(pieces, LF) || includesByte(pieces, CR);
  const deferred = multiline ? undefined : deferredResult(pieces, length);
  if (deferred) return deferred;
  const text = decode(pieces);
  // Byte offsets of the id in non-ASCII bytes: found in their latin1 view, where every byte is one
  // character and JSON's structural characters (all ASCII) are where they are in the bytes.
  return parseKeeping(text, pieces, text.length === length ? text : latin1(pieces), multiline);
}

/** Where the id is when the bytes (one line) have an SDK's layout of a successful response. */
function sdkLayoutId(pieces: Pieces, length: number): { id: number; idStart: number; idEnd: number } | undefined {
  let match: RegExpExecArray | null = null;
  let offset = 0;
  const head = sliceBytes(pieces, 0, 48);
  if (head.compare(RESULT_FIRST, 0, RESULT_FIRST.length, 0, RESULT_FIRST.length) === 0) {
    offset = length - 48;
    match = RESULT_FIRST_TAIL.exec(sliceBytes(pieces, offset, length).toString('latin1'));
  } else if (
    head.compare(ID_FIRST, 0, ID_FIRST.length, 0, ID_FIRST.length) === 0 &&
    sliceBytes(pieces, length - 1, length)[0] === CLOSE_BRACE
  ) {
    match = ID_FIRST_HEAD.exec(head.toString('latin1'));
  }
  if (!match) return undefined;
  const idStart = offset + match.index + match[0].indexOf(match[1]!, match[0].indexOf('"id":'));
  return { id: Number(match[1]), idStart, idEnd: idStart + match[1]!.length };
}

/** A response whose `result` is parsed from `pieces` (one line) when it is first read. */
function deferredResult(pieces: Pieces, length: number): JsonRpcSuccess | undefined {
  const layout = sdkLayoutId(pieces, length);
  if (!layout) return undefined;
  let parsed: { result: Record<string, unknown>; valid: boolean } | undefined;
  const parse = (message: JsonRpcSuccess) => {
    parsed ??= parseResult(pieces, layout.id);
    if (!parsed.valid) forgetRaw(message); // not sent yet: it goes out as the error it became
    return parsed.result;
  };
  const make = (id: RequestId): JsonRpcSuccess => {
    const message = { jsonrpc: '2.0', id } as JsonRpcSuccess;
    // An own enumerable accessor: spreads and JSON.stringify read it (and so parse) like a value.
    Object.defineProperty(message, 'result', {
      enumerable: true,
      configurable: true,
      get(this: JsonRpcSuccess) {
        const result = parse(this);
        Object.defineProperty(this, 'result', { value: result, enumerable: true, writable: true, configurable: true });
        return result;
      },
    });
    return message;
  };
  const message = make(layout.id);
  keepRaw(message, {
    text: pieces,
    idStart: layout.idStart,
    idEnd: layout.idEnd,
    id: layout.id,
    multiline: false,
    withId: make,
  });
  return message;
}

function parseResult(pieces: Pieces, id: number): { result: Record<string, unknown>; valid: boolean } {
  try {
    const value: unknown = JSON.parse(decode(pieces));
    const message = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
    const result = message.result;
    if (typeof result === 'object' && result !== null && !Array.isArray(result) && message.id === id) {
      if (!('method' in message || 'error' in message))
        return { result: result as Record<string, unknown>, valid: true };
    }
  } catch {
    // below
  }
  const text =
    "Gatehouse could not read the server's answer: it is not a valid JSON-RPC response. Tell the server's maintainer.";
  return { result: { content: [{ type: 'text', text }], isError: true }, valid: false };
}

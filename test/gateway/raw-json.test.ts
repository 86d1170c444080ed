import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonRpcMessage, JsonRpcResponse } from '../../src-main/core/jsonrpc/messages.ts';
import {
  jsonRpcByteLength,
  parseJsonRpcText,
  serializeJsonRpc,
  wireLength,
  withResponseId,
} from '../../src-main/core/jsonrpc/raw-json.ts';
import type { Pieces } from '../../src-main/core/jsonrpc/pieces.ts';
import { parseJsonRpcBytes } from '../../src-main/core/jsonrpc/raw-bytes.ts';

/** What the gateway does with an upstream response: parse, give it the client's id, write it. */
function passThrough(text: string, id: string | number, singleLine = false): string {
  const response = withResponseId(parseJsonRpcText(text) as JsonRpcResponse, id);
  const out = serializeJsonRpc(response, { singleLine });
  expect(typeof out).toBe('string');
  return out as string;
}

/** UTF-8 bytes of `text` cut into pieces at `cuts`, as they may arrive from a socket. */
function piecesOf(text: string, cuts: number[] = []): Buffer[] {
  const bytes = Buffer.from(text);
  const points = [0, ...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
  return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
}

/** The same from the bytes a server sent (what the upstream transports parse), in pieces. */
function passThroughBytes(text: string, id: string | number, singleLine = false, cuts: number[] = []): string | Pieces {
  const response = withResponseId(parseJsonRpcBytes(piecesOf(text, cuts)) as JsonRpcResponse, id);
  const out = serializeJsonRpc(response, { singleLine });
  if (!singleLine) expect(jsonRpcByteLength(response)).toBe(wireLength(out));
  return out;
}

const asText = (out: string | Pieces) => (typeof out === 'string' ? out : Buffer.concat(out).toString('utf8'));

describe('raw pass-through of responses (only the top-level id is rewritten)', () => {
  it('keeps the upstream text byte for byte, id spliced, when id is the last member (the SDK layout)', () => {
    const big = 'x'.repeat(100_000);
    const text = `{"result":{"content":[{"type":"text","text":"${big}"}]},"jsonrpc":"2.0","id":17}`;
    expect(passThrough(text, 'client-1')).toBe(text.replace('"id":17}', '"id":"client-1"}'));
  });

  it('forwards a large response as the bytes it arrived as, id spliced, ASCII or not', () => {
    for (const big of ['x'.repeat(100_000), 'é漢😀 \\"'.repeat(10_000)]) {
      const text = `{"result":{"content":[{"type":"text","text":${JSON.stringify(big)}}]},"jsonrpc":"2.0","id":17}`;
      const out = passThroughBytes(text, 'client-1', false, [65_536, 20, 100_010]);
      expect(Array.isArray(out)).toBe(true); // no decode and encode of 100 KB on the way out
      expect(asText(out)).toBe(text.replace('"id":17}', '"id":"client-1"}'));
      // The same id as upstream: the pieces themselves go out.
      const pieces = piecesOf(text, [65_536]);
      expect(serializeJsonRpc(parseJsonRpcBytes(pieces) as JsonRpcMessage)).toBe(pieces);
    }
    // A non-ASCII client id is spliced as UTF-8.
    const text = `{"result":{"text":"${'y'.repeat(20_000)}"},"jsonrpc":"2.0","id":1}`;
    expect(asText(passThroughBytes(text, 'ключ'))).toBe(text.replace('"id":1}', '"id":"ключ"}'));
  });

  it('finds the top-level id ahead of the result and leaves ids inside the result alone', () => {
    const text = '{"jsonrpc":"2.0", "id" : 3 ,"result":{"id":7,"text":"a \\"id\\": 9 }\\\\","list":[{"id":1},[]]}}';
    const out = passThrough(text, 42);
    expect(out).toBe(text.replace('"id" : 3 ', '"id" : 42 '));
    expect(JSON.parse(out)).toEqual({ ...JSON.parse(text), id: 42 });
  });

  it('re-serialises when the id is not unambiguous: a duplicate id or an escaped key', () => {
    for (const text of [
      '{"jsonrpc":"2.0","id":3,"id":3,"result":{}}',
      '{"jsonrpc":"2.0","\\u0069d":3,"result":{"a":1}}',
    ]) {
      const out = passThrough(text, 'c');
      expect(out).toBe(JSON.stringify({ ...JSON.parse(text), id: 'c' }));
    }
    // A duplicate whose last copy is rewritten is what every (last-wins) parser reads: kept.
    expect(JSON.parse(passThrough('{"id":3,"result":{},"id":3}', 'c')).id).toBe('c');
  });

  it('never puts a line break on an SSE data line (pretty-printed upstream JSON is re-serialised there)', () => {
    const text = '{\n  "jsonrpc": "2.0",\n  "id": 1,\n  "result": {}\n}';
    expect(passThrough(text, 2, true)).toBe('{"jsonrpc":"2.0","id":2,"result":{}}');
    expect(passThrough(text, 2)).toBe(text.replace('"id": 1', '"id": 2'));
    const large = `{\n"jsonrpc": "2.0",\r\n"id": 1,\n"result": {"text": "${'z'.repeat(20_000)}"}}`;
    expect(passThroughBytes(large, 2, true)).toBe(JSON.stringify({ ...JSON.parse(large), id: 2 }));
    expect(asText(passThroughBytes(large, 2))).toBe(large.replace('"id": 1', '"id": 2'));
  });

  it('serialises requests, notifications and changed responses as usual', () => {
    const request = parseJsonRpcText('{"jsonrpc":"2.0","id":1,"method":"ping"}') as JsonRpcMessage;
    expect(serializeJsonRpc(request)).toBe('{"jsonrpc":"2.0","id":1,"method":"ping"}');
    const response = withResponseId(parseJsonRpcText('{"id":1,"jsonrpc":"2.0","result":{}}') as JsonRpcResponse, 5);
    const filtered = { ...response, result: { tools: [] } };
    expect(serializeJsonRpc(filtered)).toBe('{"id":5,"jsonrpc":"2.0","result":{"tools":[]}}');
    expect(jsonRpcByteLength(response)).toBe(Buffer.byteLength('{"id":5,"jsonrpc":"2.0","result":{}}'));
  });

  it('for any response text, what goes out parses to the upstream response with the new id', () => {
    const json = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });
    const id = fc.oneof(fc.integer(), fc.string({ unit: 'binary' }));
    const space = fc.constantFrom('', ' ', '\n', '\t ');
    fc.assert(
      fc.property(
        json,
        id,
        id,
        fc.boolean(),
        fc.shuffledSubarray(['"jsonrpc":"2.0"', '"extra":{"id":1}', `"pad":"${'p'.repeat(16 * 1024)}"`], {
          minLength: 0,
        }),
        fc.nat(3),
        space,
        fc.array(fc.nat(), { maxLength: 4 }),
        (result, upstreamId, clientId, isError, others, at, ws, cuts) => {
          const members = [
            ...others,
            `"${isError ? 'error' : 'result'}":${JSON.stringify(isError ? { code: 1, message: 'm', data: result } : { value: result })}`,
          ];
          members.splice(Math.min(at, members.length), 0, `"id"${ws}:${ws}${JSON.stringify(upstreamId)}`);
          const text = `{${ws}${members.join(`${ws},${ws}`)}${ws}}`;
          for (const singleLine of [false, true]) {
            for (const out of [
              passThrough(text, clientId, singleLine),
              asText(passThroughBytes(text, clientId, singleLine, cuts)),
            ]) {
              expect(JSON.parse(out)).toEqual({ ...JSON.parse(text), id: clientId });
              if (singleLine) expect(out).not.toMatch(/[\r\n]/);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('passes a large result in an SDK layout on unparsed, cut anywhere, and parses it when it is read', () => {
    const layouts = [
      (id: number, result: string) => `{"result":${result},"jsonrpc":"2.0","id":${id}}`, // TypeScript SDK
      (id: number, result: string) => `{"jsonrpc":"2.0","id":${id},"result":${result}}`, // Python SDK
    ];
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }),
        fc.nat(),
        fc.oneof(fc.integer(), fc.string({ unit: 'binary' })),
        fc.constantFrom(...layouts),
        fc.array(fc.nat(), { maxLength: 4 }),
        (value, upstreamId, clientId, layout, cuts) => {
          const result = { value, pad: 'é'.repeat(9000) };
          const text = layout(upstreamId, JSON.stringify(result));
          const out = passThroughBytes(text, clientId, true, cuts);
          expect(Array.isArray(out)).toBe(true);
          expect(asText(out)).toBe(text.replace(`"id":${upstreamId}`, `"id":${JSON.stringify(clientId)}`));
          const response = withResponseId(parseJsonRpcBytes(piecesOf(text, cuts)) as JsonRpcResponse, clientId);
          expect(JSON.parse(JSON.stringify(response))).toEqual({
            jsonrpc: '2.0',
            id: clientId,
            result: JSON.parse(JSON.stringify(result)),
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a large SDK-layout answer that is not JSON: forwarded as sent, or as a tool error once read', () => {
    const broken = `{"result":{"text":"${'b'.repeat(20_000)}"],"jsonrpc":"2.0","id":4}`;
    const sent = withResponseId(parseJsonRpcBytes(piecesOf(broken)) as JsonRpcResponse, 9);
    // Nothing read it on the way: the bytes go out as the server sent them (as without Gatehouse).
    expect(asText(serializeJsonRpc(sent))).toBe(broken.replace('"id":4}', '"id":9}'));
    // Read before it goes out (a list filtered by policy): it goes out as the error it turned out to be.
    const read = withResponseId(parseJsonRpcBytes(piecesOf(broken)) as JsonRpcResponse, 9);
    expect('result' in read && read.result).toMatchObject({ isError: true });
    const out = JSON.parse(asText(serializeJsonRpc(read)));
    expect(out).toMatchObject({ id: 9, result: { isError: true } });
    expect(out.result.content[0].text).toMatch(/not a valid JSON-RPC response/);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonRpcMessage, JsonRpcResponse } from '../../src-main/core/jsonrpc/messages.ts';
import {
  jsonRpcByteLength,
  parseJsonRpcText,
  serializeJsonRpc,
  withResponseId,
} from '../../src-main/core/jsonrpc/raw-json.ts';

/** What the gateway does with an upstream response: parse, give it the client's id, write it. */
function passThrough(text: string, id: string | number, singleLine = false): string {
  const response = withResponseId(parseJsonRpcText(text) as JsonRpcResponse, id);
  return serializeJsonRpc(response, { singleLine });
}

describe('raw pass-through of responses (only the top-level id is rewritten)', () => {
  it('keeps the upstream text byte for byte, id spliced, when id is the last member (the SDK layout)', () => {
    const big = 'x'.repeat(100_000);
    const text = `{"result":{"content":[{"type":"text","text":"${big}"}]},"jsonrpc":"2.0","id":17}`;
    expect(passThrough(text, 'client-1')).toBe(text.replace('"id":17}', '"id":"client-1"}'));
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
    const json = fc.jsonValue({ maxDepth: 4 });
    const id = fc.oneof(fc.integer(), fc.string());
    const space = fc.constantFrom('', ' ', '\n', '\t ');
    fc.assert(
      fc.property(
        json,
        id,
        id,
        fc.boolean(),
        fc.shuffledSubarray(['"jsonrpc":"2.0"', '"extra":{"id":1}'], { minLength: 0 }),
        fc.nat(3),
        space,
        (result, upstreamId, clientId, isError, others, at, ws) => {
          const members = [
            ...others,
            `"${isError ? 'error' : 'result'}":${JSON.stringify(isError ? { code: 1, message: 'm', data: result } : { value: result })}`,
          ];
          members.splice(Math.min(at, members.length), 0, `"id"${ws}:${ws}${JSON.stringify(upstreamId)}`);
          const text = `{${ws}${members.join(`${ws},${ws}`)}${ws}}`;
          for (const singleLine of [false, true]) {
            const out = passThrough(text, clientId, singleLine);
            expect(JSON.parse(out)).toEqual({ ...JSON.parse(text), id: clientId });
            if (singleLine) expect(out).not.toMatch(/[\r\n]/);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

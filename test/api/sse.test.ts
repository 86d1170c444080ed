import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSseData, SseParser } from '../../src-main/core/api/sse.ts';

describe('SseParser', () => {
  it('joins data lines, ignores comments and other fields, and accepts CRLF', () => {
    const parser = new SseParser();
    expect(parser.push(': hello\n\nevent: x\ndata: {"a":\r\ndata: 1}\r\n\r\ndata:2\n')).toEqual(['{"a":\n1}']);
    expect(parser.push('\n')).toEqual(['2']);
  });

  it('yields the same events however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.json(), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (payloads, cuts) => {
          const wire = ': ping\n\n' + payloads.map(formatSseData).join('');
          const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
          const parser = new SseParser();
          const events: string[] = [];
          let last = 0;
          for (const point of [...points, wire.length]) {
            events.push(...parser.push(wire.slice(last, point)));
            last = point;
          }
          expect(events).toEqual(payloads);
        },
      ),
    );
  });
});

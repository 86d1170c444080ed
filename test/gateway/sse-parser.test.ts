import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSseParser } from '../../src-main/core/upstream/sse-parser.ts';

type TextEvent = { event: string; data: string; id?: string; retry?: number };

describe('the SSE parser the upstream transport reads with', () => {
  /** The events of a stream that arrives in these chunks (text chunks as UTF-8), data as text. */
  function parse(...chunks: (string | Uint8Array)[]): TextEvent[] {
    const events: TextEvent[] = [];
    const feed = createSseParser(({ lines, ...e }) => {
      const data = Buffer.concat(e.data).toString('utf8');
      // One data line never holds a line break (the transport skips searching for one then).
      if (lines === 1) expect(data).not.toMatch(/[\r\n]/);
      events.push({ ...e, data });
    });
    for (const chunk of chunks) feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return events;
  }

  it('reads events split anywhere across chunks, with any line ending, and joins data lines', () => {
    expect(parse('event: mess', 'age\r\ndata: {"a"', ':1}\r\n\r', '\ndata: l1\ndata: l2\r\r')).toEqual([
      { event: 'message', data: '{"a":1}' },
      { event: 'message', data: 'l1\nl2' },
    ]);
  });

  it('keeps a character whose UTF-8 bytes are cut between chunks whole, in data, id and event', () => {
    const bytes = Buffer.from('id: é1\nevent: mes😀\ndata: {"t":"漢字"}\n\n');
    const events = [...Array(bytes.length).keys()].map((cut) => parse(bytes.subarray(0, cut), bytes.subarray(cut)));
    for (const e of events) expect(e).toEqual([{ event: 'mes😀', data: '{"t":"漢字"}', id: 'é1' }]);
    // A plain Uint8Array (what fetch's body gives) is read as well.
    expect(parse(new Uint8Array(bytes))).toEqual(events[0]);
  });

  it('reports a priming event (id and retry, empty data) so a stream can be resumed, and keeps id/retry sticky', () => {
    expect(parse('id: s1:0\nretry: 500\ndata: \n\n', 'data: x\n\n')).toEqual([
      { event: 'message', data: '', id: 's1:0', retry: 500 },
      { event: 'message', data: 'x', id: 's1:0', retry: 500 },
    ]);
  });

  it('ignores comments (keep-alives) and blocks without data', () => {
    expect(parse(': keepalive\n\n', 'event: ping\n\n', 'data: y\n\n')).toEqual([{ event: 'message', data: 'y' }]);
  });

  it('gives the same events however the stream is cut into chunks (CR, LF and CRLF, split anywhere)', () => {
    const lineEnd = fc.constantFrom('\n', '\r', '\r\n');
    const field = fc.tuple(fc.constantFrom('data', 'event', 'id', ': comment', 'data'), fc.string({ maxLength: 30 }));
    const stream = fc
      .array(fc.tuple(fc.array(field, { maxLength: 4 }), lineEnd, lineEnd), { maxLength: 8 })
      .map((events) =>
        events
          .map(
            ([fields, end, blank]) =>
              `${fields.map(([name, value]) => `${name}: ${value.replace(/[\r\n]/g, '')}${end}`).join('')}${blank}`,
          )
          .join(''),
      );
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 10 }), (text, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((from, i) => text.slice(from, [...points, text.length][i]));
        expect(parse(...chunks)).toEqual(parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('reads a 1 MB event fed in 1 KB chunks in linear time', () => {
    const big = `data: ${'x'.repeat(1024 * 1024)}\n\n`;
    const chunks = Array.from({ length: Math.ceil(big.length / 1024) }, (_, i) => big.slice(i * 1024, (i + 1) * 1024));
    const started = performance.now();
    const events = parse(...chunks);
    expect(events).toHaveLength(1);
    expect(events[0]!.data.length).toBe(1024 * 1024);
    // Re-scanning the buffer per chunk takes seconds here (1025 chunks x up to 1 MB).
    expect(performance.now() - started).toBeLessThan(500);
  });
});

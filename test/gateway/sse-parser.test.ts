import { describe, expect, it } from 'vitest';
import { createSseParser, type SseEvent } from '../../src-main/core/upstream/sse-parser.ts';

describe('the SSE parser the upstream transport reads with', () => {
  function parse(...chunks: string[]): SseEvent[] {
    const events: SseEvent[] = [];
    const feed = createSseParser((e) => events.push(e));
    for (const chunk of chunks) feed(chunk);
    return events;
  }

  it('reads events split anywhere across chunks, with any line ending, and joins data lines', () => {
    expect(parse('event: mess', 'age\r\ndata: {"a"', ':1}\r\n\r', '\ndata: l1\ndata: l2\r\r')).toEqual([
      { event: 'message', data: '{"a":1}' },
      { event: 'message', data: 'l1\nl2' },
    ]);
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
});

/**
 * An incremental parser for the part of Server-Sent Events the API uses: `data:` lines (joined by
 * newlines) ended by a blank line; comments (`:`) and other fields are ignored. Browser-safe.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];

  /** Feeds a chunk of the stream; returns the data of every event the chunk completed. */
  push(chunk: string): string[] {
    this.buffer += chunk;
    const events: string[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) !== -1) {
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith('\r\n', newline) ? 2 : 1;
      // A lone trailing \r may be the first half of \r\n: wait for the next chunk.
      if (this.buffer[newline] === '\r' && newline + 1 === this.buffer.length) break;
      this.buffer = this.buffer.slice(newline + width);
      if (line === '') {
        if (this.data.length) events.push(this.data.join('\n'));
        this.data = [];
      } else if (line.startsWith('data:')) {
        this.data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      }
    }
    return events;
  }
}

/** One event in the wire format SseParser reads. */
export function formatSseData(json: string): string {
  return `data: ${json.replace(/\r?\n/g, '\ndata: ')}\n\n`;
}

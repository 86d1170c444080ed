import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Pieces } from '../jsonrpc/pieces.ts';
import { wireLength } from '../jsonrpc/raw-json.ts';
import type { Reply } from './exchange.ts';

/** How long a kept-alive connection may sit idle between requests (node:http's was set to the same). */
export const KEEP_ALIVE_MS = 65_000;

/** Bodies from this length on are written apart from the head. */
const LARGE_BODY = 16 * 1024;

/** The Date header, recomputed at most once a second (as node:http does). */
let dateSecond = -1;
let dateHeader = '';
function currentDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateHeader = new Date(second * 1000).toUTCString();
  }
  return dateHeader;
}

/**
 * An HTTP/1.1 response written straight to the socket: one write for a whole answer
 * (Content-Length), chunked encoding once something is written before the end (an SSE stream).
 * The header values come from the endpoint itself (content types, session ids, fixed texts),
 * never from a client.
 */
export class SocketReply implements Reply {
  private readonly socket: Socket;
  /** Whether the connection stays open after this reply. */
  readonly keepAlive: boolean;
  private readonly onFinish: (reply: SocketReply) => void;
  private status = 200;
  private headers: Record<string, string> = {};
  private closeListeners: (() => void)[] = [];
  headersSent = false;
  finished = false;

  constructor(socket: Socket, keepAlive: boolean, onFinish: (reply: SocketReply) => void) {
    this.socket = socket;
    this.keepAlive = keepAlive;
    this.onFinish = onFinish;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }

  writeHead(status: number, headers: Record<string, string> = {}): this {
    if (!this.headersSent) {
      this.status = status;
      this.headers = headers;
    }
    return this;
  }

  flushHeaders(): void {
    if (!this.headersSent && !this.finished) this.socket.write(this.head(undefined));
  }

  write(chunk: string | Pieces): boolean {
    if (this.finished || this.socket.destroyed) return false;
    const head = this.headersSent ? '' : this.head(undefined);
    // An empty chunk would read as the last one (size 0) and end the body early.
    const length = wireLength(chunk);
    if (length === 0) return head === '' || this.socket.write(head);
    return this.writeParts(`${head}${length.toString(16)}\r\n`, chunk, '\r\n');
  }

  end(chunk?: string | Pieces): this {
    if (this.finished) return this;
    this.finished = true;
    if (!this.socket.destroyed) {
      if (!this.headersSent) {
        const body = chunk ?? '';
        this.writeParts(this.head(wireLength(body)), body, '');
      } else {
        const length = chunk === undefined ? 0 : wireLength(chunk);
        if (length > 0) this.writeParts(`${length.toString(16)}\r\n`, chunk!, '\r\n0\r\n\r\n');
        else this.socket.write('0\r\n\r\n');
      }
    }
    this.closed();
    this.onFinish(this);
    return this;
  }

  on(_event: 'close', listener: () => void): this {
    this.closeListeners.push(listener);
    return this;
  }

  /** The connection went away before the end (or the reply ended): tell the listeners once. */
  closed(): void {
    const listeners = this.closeListeners;
    this.closeListeners = [];
    for (const listener of listeners) listener();
  }

  /**
   * `before`, `body` and `after` in one write when the body is small text; else corked, so they still
   * leave in one writev: joined, a large body would be copied once more (and pieces of bytes are
   * written as they are, jsonrpc/pieces.ts).
   */
  private writeParts(before: string, body: string | Pieces, after: string): boolean {
    if (typeof body === 'string' && body.length < LARGE_BODY) return this.socket.write(before + body + after);
    this.socket.cork();
    let flowing = this.socket.write(before);
    if (typeof body === 'string') flowing = this.socket.write(body);
    else for (const piece of body) flowing = this.socket.write(piece);
    if (after !== '') flowing = this.socket.write(after);
    this.socket.uncork();
    return flowing;
  }

  /** The status line and headers; `length` undefined means a chunked body follows. */
  private head(length: number | undefined): string {
    this.headersSent = true;
    let head = `HTTP/1.1 ${this.status} ${STATUS_CODES[this.status] ?? ''}\r\n`;
    for (const name in this.headers) {
      if (name !== 'connection') head += `${name}: ${this.headers[name]}\r\n`; // ours decides, below
    }
    head += `date: ${currentDate()}\r\n`;
    head += this.keepAlive
      ? `connection: keep-alive\r\nkeep-alive: timeout=${KEEP_ALIVE_MS / 1000}\r\n`
      : 'connection: close\r\n';
    head += length === undefined ? 'transfer-encoding: chunked\r\n\r\n' : `content-length: ${length}\r\n\r\n`;
    return head;
  }
}

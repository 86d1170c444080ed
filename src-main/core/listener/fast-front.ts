import net from 'node:net';
import { BodyTooLarge, type EndpointRequest } from './exchange.ts';
import { parseRequestHead, type RequestHead } from './request-head.ts';
import { KEEP_ALIVE_MS, SocketReply } from './socket-reply.ts';

const CRLF_CRLF = Buffer.from('\r\n\r\n');
/** node:http's default maxHeaderSize: a longer head goes to node:http, which answers 431. */
const MAX_HEAD_BYTES = 16 * 1024;
/** As node:http's headersTimeout: a head must be complete this long after its first byte. */
const HEADERS_TIMEOUT_MS = 30_000;

export type FastFrontOptions = {
  /** The requests the front answers itself (the MCP POSTs); everything else goes to node:http. */
  accepts(method: string, path: string): boolean;
  maxBodyBytes: number;
  handle(request: EndpointRequest, reply: SocketReply): void;
  /** Gives a connection, with the bytes it sent and nobody read, to node:http for good. */
  handOff(socket: net.Socket): void;
};

/**
 * The listening socket of the localhost endpoint, in front of node:http. The hot requests (POSTs
 * to the MCP endpoints with a plain Content-Length) are parsed and answered here on the raw
 * socket; node:http's IncomingMessage streams and ServerResponse cost 100-150 µs of CPU per call
 * (docs/architecture.md, Performance). At the first request it does not take (GET streams, the
 * window's API, anything unusual or malformed) the connection, unread bytes included, goes to
 * node:http, which then owns it as if it had accepted it.
 */
export class FastFront {
  readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(options: FastFrontOptions) {
    // Half-open, as node:http: a client may send its request and shut its side (curl's --no-keepalive
    // style, shell one-liners); the answer must still go out before the connection closes.
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      new FrontConnection(socket, options);
    });
  }

  /** Ends every connection, handed-off ones included. */
  destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}

/**
 * One client connection while the front owns it: requests are answered one at a time, in order;
 * bytes of a request sent before the previous answer ended (pipelining) wait in the buffer.
 */
class FrontConnection {
  private readonly socket: net.Socket;
  private readonly options: FastFrontOptions;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private head: RequestHead | undefined;
  private headEnd = 0;
  private headStartedAt = 0;
  private reply: SocketReply | undefined;
  private pumping = false;
  private closing = false;
  private clientEnded = false;
  private readonly onData = (data: Buffer) => this.received(data);
  private readonly onTimeout = () => {
    // A call or stream in progress has its own timeouts; an idle or stalled connection is closed.
    if (!this.reply) this.socket.destroy();
  };
  private readonly onClose = () => this.reply?.closed();
  private readonly onEnd = () => {
    this.clientEnded = true;
    if (!this.reply) this.pump();
  };
  private readonly onFinish = (reply: SocketReply) => this.finished(reply);

  constructor(socket: net.Socket, options: FastFrontOptions) {
    this.socket = socket;
    this.options = options;
    socket.setNoDelay(true);
    socket.setTimeout(KEEP_ALIVE_MS);
    socket.on('data', this.onData);
    socket.on('timeout', this.onTimeout);
    socket.on('error', ignore); // 'close' follows
    socket.on('close', this.onClose);
    socket.on('end', this.onEnd);
  }

  private received(data: Buffer): void {
    if (this.closing) return; // the rest of a body refused unread, or bytes after Connection: close
    this.chunks.push(data);
    this.buffered += data.length;
    if (this.reply) {
      // Pipelined bytes wait for the answer in progress, but not without bound.
      if (this.buffered > this.options.maxBodyBytes + MAX_HEAD_BYTES) this.socket.destroy();
      return;
    }
    this.pump();
  }

  /** Takes requests from the buffer while no answer is in progress (a loop: no recursion per request). */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.reply && !this.closing && this.buffered > 0 && !this.socket.destroyed && this.step());
    } finally {
      this.pumping = false;
    }
    // The client has shut its side: once nothing is in progress, what is left is not a whole request.
    if (this.clientEnded && !this.reply && !this.closing && !this.socket.destroyed) {
      this.closing = true;
      this.socket.end();
    }
  }

  /** One step of reading a request; false when it must wait for more bytes or has let go. */
  private step(): boolean {
    if (!this.head && !this.readHead()) return false;
    const head = this.head!;
    if (head.contentLength > this.options.maxBodyBytes) {
      // Not read: the answer says it is too large and the connection closes after it.
      this.dispatch(head, undefined);
      return false;
    }
    const end = this.headEnd + head.contentLength;
    if (this.buffered < end) return false;
    const bytes = this.contiguous();
    const body = bytes.subarray(this.headEnd, end);
    this.chunks = end < bytes.length ? [bytes.subarray(end)] : [];
    this.buffered = bytes.length - end;
    this.dispatch(head, body);
    return true;
  }

  private readHead(): boolean {
    const bytes = this.contiguous();
    const end = bytes.indexOf(CRLF_CRLF);
    if (end === -1) {
      if (bytes.length > MAX_HEAD_BYTES) this.handOff();
      else if (this.headStartedAt === 0) this.headStartedAt = Date.now();
      else if (Date.now() - this.headStartedAt > HEADERS_TIMEOUT_MS) this.socket.destroy();
      return false;
    }
    this.headStartedAt = 0;
    const head = end > MAX_HEAD_BYTES ? undefined : parseRequestHead(bytes.toString('latin1', 0, end));
    if (!head || !this.options.accepts(head.method, head.url.split('?', 1)[0]!)) {
      this.handOff();
      return false;
    }
    this.head = head;
    this.headEnd = end + 4;
    return true;
  }

  private dispatch(head: RequestHead, body: Buffer | undefined): void {
    this.head = undefined;
    const reply = new SocketReply(this.socket, !head.close && body !== undefined, this.onFinish);
    this.reply = reply;
    this.options.handle(
      {
        method: head.method,
        url: head.url,
        headers: head.headers,
        readBody: (limit) => {
          if (body === undefined || body.length > limit) throw new BodyTooLarge();
          return body.toString('utf8');
        },
      },
      reply,
    );
  }

  private finished(reply: SocketReply): void {
    if (this.reply !== reply) return;
    this.reply = undefined;
    if (!reply.keepAlive) {
      this.closing = true;
      this.chunks = [];
      this.buffered = 0;
      this.socket.end();
      return;
    }
    this.pump();
  }

  /** All buffered bytes as one Buffer (heads are small; a body is joined once, when complete). */
  private contiguous(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private handOff(): void {
    const socket = this.socket;
    this.closing = true; // no longer ours
    socket.pause();
    socket.removeListener('data', this.onData);
    socket.removeListener('timeout', this.onTimeout);
    socket.removeListener('error', ignore);
    socket.removeListener('close', this.onClose);
    socket.removeListener('end', this.onEnd);
    socket.setTimeout(0);
    const unread = this.contiguous();
    this.chunks = [];
    this.buffered = 0;
    if (unread.length > 0) socket.unshift(unread);
    this.options.handOff(socket);
    socket.resume();
  }
}

function ignore(): void {}

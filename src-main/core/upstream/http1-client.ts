import net from 'node:net';

/** A response whose head has arrived; its body is read (or discarded) by the caller. */
export type PostResponse = {
  statusCode: number;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string | undefined>;
  /**
   * Feeds the body to `onBytes` as it arrives; resolves at its end, rejects if the connection is cut.
   * Bytes, not text: a large answer is forwarded as it came (jsonrpc/raw-bytes.ts).
   */
  read(onBytes: (bytes: Buffer) => void): Promise<void>;
  /** The body is not wanted (it is still drained, so the connection can be reused). */
  discard(): void;
};

const CRLF_CRLF = Buffer.from('\r\n\r\n');
const HEADER_FORBIDDEN = /[\r\n\0]/;
const MAX_HEAD_BYTES = 64 * 1024;

class Http1Error extends Error {
  readonly code = 'UPSTREAM_HTTP';
}

/**
 * The body of one response, buffered until its reader attaches (the head resolves the request's
 * promise; the caller reads after an await).
 */
class Body {
  private queued: Buffer[] = [];
  private onBytes: ((bytes: Buffer) => void) | undefined;
  private settle: { resolve(): void; reject(error: Error): void } | undefined;
  private outcome: 'open' | 'ended' | Error = 'open';

  push(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.onBytes) this.onBytes(bytes);
    else this.queued.push(bytes);
  }

  end(error?: Error): void {
    if (this.outcome !== 'open') return;
    this.outcome = error ?? 'ended';
    if (!this.settle) return;
    if (error) this.settle.reject(error);
    else this.settle.resolve();
  }

  read(onBytes: (bytes: Buffer) => void): Promise<void> {
    for (const bytes of this.queued) onBytes(bytes);
    this.queued = [];
    if (this.outcome === 'ended') return Promise.resolve();
    if (this.outcome instanceof Error) return Promise.reject(this.outcome);
    this.onBytes = onBytes;
    return new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  discard(): void {
    this.queued = [];
    this.read(() => {}).catch(() => {});
  }
}

type Exchange = {
  resolve(response: PostResponse): void;
  reject(error: Error): void;
};

/**
 * One keep-alive socket and the parser of the responses on it (one request at a time: no
 * pipelining). HTTP/1.1 as MCP servers speak it: Content-Length, chunked, or read-to-close bodies.
 */
class Connection {
  readonly socket: net.Socket;
  private readonly client: Http1Client;
  private exchange: Exchange | undefined;
  private body: Body | undefined;
  private buffer: Buffer | undefined;
  private state: 'idle' | 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'to-close' =
    'idle';
  private remaining = 0;
  private keepAlive = true;
  private lastError: Error | undefined;

  constructor(client: Http1Client, host: string, port: number) {
    this.client = client;
    this.socket = net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, 1000);
    this.socket.on('data', (data: Buffer) => this.onData(data));
    this.socket.on('error', (error) => {
      this.lastError = error; // 'close' follows and reports it
    });
    this.socket.on('close', () => this.onClose());
  }

  send(request: string, exchange: Exchange): void {
    this.exchange = exchange;
    this.state = 'head';
    this.keepAlive = true;
    this.socket.ref();
    this.socket.write(request);
  }

  private onData(data: Buffer): void {
    let bytes = this.buffer ? Buffer.concat([this.buffer, data]) : data;
    this.buffer = undefined;
    while (bytes.length > 0) {
      const used = this.consume(bytes);
      if (used < 0) {
        // An incomplete head or chunk-size line: wait for more, but not for ever (a broken or
        // hostile server must not make the gateway buffer without bound).
        if (bytes.length > MAX_HEAD_BYTES) {
          this.fail(new Http1Error(`the server sent a response head or chunk line over ${MAX_HEAD_BYTES} bytes`));
          return;
        }
        this.buffer = bytes;
        return;
      }
      bytes = bytes.subarray(used);
      if (this.state === 'idle' && bytes.length > 0) {
        // Bytes nobody asked for: the stream is out of step; never reuse it.
        this.socket.destroy();
        return;
      }
    }
  }

  /** Consumes from the start of `bytes`; returns how many bytes it used, -1 to wait for more. */
  private consume(bytes: Buffer): number {
    switch (this.state) {
      case 'head': {
        const end = bytes.indexOf(CRLF_CRLF);
        if (end === -1) return -1;
        this.head(bytes.toString('latin1', 0, end));
        return end + 4;
      }
      case 'length': {
        const take = Math.min(this.remaining, bytes.length);
        this.body!.push(bytes.subarray(0, take));
        this.remaining -= take;
        if (this.remaining === 0) this.finish();
        return take;
      }
      case 'chunk-size': {
        const end = bytes.indexOf('\r\n');
        if (end === -1) return -1;
        const size = parseInt(bytes.toString('latin1', 0, end).split(';', 1)[0]!, 16);
        if (!Number.isFinite(size) || size < 0) {
          this.fail(new Http1Error('the server sent a malformed chunked body'));
          return bytes.length;
        }
        this.remaining = size;
        this.state = size === 0 ? 'trailers' : 'chunk-data';
        return end + 2;
      }
      case 'chunk-data': {
        const take = Math.min(this.remaining, bytes.length);
        this.body!.push(bytes.subarray(0, take));
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'chunk-end';
        return take;
      }
      case 'chunk-end': {
        if (bytes.length < 2) return -1;
        this.state = 'chunk-size';
        return 2;
      }
      case 'trailers': {
        const end = bytes.indexOf('\r\n');
        if (end === -1) return -1;
        if (end === 0) this.finish(); // the empty line after the (usually absent) trailers
        return end + 2;
      }
      case 'to-close':
        this.body!.push(bytes);
        return bytes.length;
      default:
        return bytes.length;
    }
  }

  private head(text: string): void {
    const lines = text.split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!status) {
      this.fail(new Http1Error(`the server's answer is not HTTP/1.1: ${lines[0]!.slice(0, 100)}`));
      return;
    }
    const statusCode = Number(status[1]);
    if (statusCode >= 100 && statusCode < 200) return; // 100 Continue and the like: the real head follows
    const headers: Record<string, string | undefined> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const before = headers[name];
      headers[name] = before === undefined ? value : `${before}, ${value}`;
    }
    if (/\bclose\b/i.test(headers.connection ?? '')) this.keepAlive = false;
    const length = headers['content-length'];
    const chunked = /\bchunked\b/i.test(headers['transfer-encoding'] ?? '');
    if (!chunked && length !== undefined && !/^\d+$/.test(length)) {
      this.fail(new Http1Error('the server sent an invalid Content-Length'));
      return;
    }
    const body = new Body();
    this.body = body;
    const exchange = this.exchange!;
    if (chunked) {
      this.state = 'chunk-size';
    } else if (length !== undefined) {
      this.remaining = Number(length);
      this.state = 'length';
    } else if (statusCode === 204 || statusCode === 304) {
      this.remaining = 0;
      this.state = 'length';
    } else {
      this.keepAlive = false;
      this.state = 'to-close';
    }
    exchange.resolve({
      statusCode,
      headers,
      read: (onBytes) => body.read(onBytes),
      discard: () => body.discard(),
    });
    if (this.state === 'length' && this.remaining === 0) this.finish();
  }

  private finish(): void {
    const body = this.body;
    this.body = undefined;
    this.exchange = undefined;
    this.state = 'idle';
    body?.end();
    if (this.keepAlive) this.client.release(this);
    else this.socket.destroy();
  }

  private fail(error: Error): void {
    const exchange = this.exchange;
    const body = this.body;
    this.exchange = undefined;
    this.body = undefined;
    this.state = 'idle';
    this.socket.destroy();
    if (body) body.end(error);
    else exchange?.reject(error);
  }

  private onClose(): void {
    this.client.forget(this);
    if (this.state === 'to-close') {
      this.state = 'idle';
      this.body?.end();
      return;
    }
    const exchange = this.exchange;
    if (!exchange) return;
    // Not retried, as node:http does not: the server may have acted on the request.
    this.fail(this.lastError ?? new Http1Error('the server closed the connection before the response ended'));
  }
}

/**
 * POSTs over keep-alive HTTP/1.1 sockets of our own, for plain-http upstreams (localhost MCP
 * servers). node:http's ClientRequest, Agent and IncomingMessage cost ~100-200 µs of CPU per
 * call on this machine; the proxy needs a small part of what they do.
 */
export class Http1Client {
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private destroyed = false;

  constructor(url: URL) {
    this.host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = Number(url.port || 80);
    this.hostHeader = url.host;
  }

  post(path: string, headers: Record<string, string>, body: string): Promise<PostResponse> {
    let head = `POST ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n`;
    // Header names are case-insensitive: the last value of a name wins, as with setHeader.
    const unique: Record<string, string> = {};
    for (const name in headers) unique[name.toLowerCase()] = headers[name]!;
    delete unique.host;
    for (const name in unique) {
      const value = String(unique[name]);
      if (HEADER_FORBIDDEN.test(name) || HEADER_FORBIDDEN.test(value)) {
        return Promise.reject(new Http1Error(`the header '${name}' contains a line break; fix its value`));
      }
      head += `${name}: ${value}\r\n`;
    }
    const request = `${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    if (this.destroyed) return Promise.reject(new Http1Error('the connection to the server is closed'));
    const connection = this.idle.pop() ?? this.open();
    return new Promise((resolve, reject) => connection.send(request, { resolve, reject }));
  }

  private open(): Connection {
    const connection = new Connection(this, this.host, this.port);
    this.all.add(connection);
    return connection;
  }

  release(connection: Connection): void {
    if (this.destroyed) {
      connection.socket.destroy();
      return;
    }
    connection.socket.unref(); // an idle socket does not keep the process alive, as node:http's agent
    this.idle.push(connection);
  }

  forget(connection: Connection): void {
    this.all.delete(connection);
    const at = this.idle.indexOf(connection);
    if (at !== -1) this.idle.splice(at, 1);
  }

  destroy(): void {
    this.destroyed = true;
    for (const connection of this.all) connection.socket.destroy();
    this.idle.length = 0;
  }
}

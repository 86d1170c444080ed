import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import type { JsonRpcMessage, RequestId } from '../jsonrpc/messages.ts';
import { parseJsonRpcBytes } from '../jsonrpc/raw-bytes.ts';
import { Http1Client, type PostResponse } from './http1-client.ts';
import { createSseParser } from './sse-parser.ts';
import type { UpstreamTransport } from './transport.ts';

const MAX_RESUME_ATTEMPTS = 10;
const POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/**
 * Feeds a node:http response to `onBytes` and resolves when it ended. Events, not `for await`:
 * the stream's async iterator costs a promise and its bookkeeping per chunk, on every call.
 */
function readIncoming(response: IncomingMessage, onBytes: (bytes: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let ended = false;
    response.on('data', onBytes);
    response.once('end', () => {
      ended = true;
      resolve();
    });
    response.once('error', reject);
    // A connection cut before the end (an upstream that dies mid-answer) is an error, as `for await` reports it.
    response.once('close', () => {
      if (!ended) reject(new Error('the server closed the connection before the response ended'));
    });
  });
}

async function readBytes(response: PostResponse): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  await response.read((chunk) => chunks.push(chunk));
  return chunks;
}

function postResponseOf(response: IncomingMessage): PostResponse {
  return {
    statusCode: response.statusCode ?? 0,
    headers: response.headers as Record<string, string | undefined>,
    read: (onBytes) => readIncoming(response, onBytes),
    discard: () => response.resume(),
  };
}

export type HeaderSource = () => Record<string, string> | Promise<Record<string, string>>;

/**
 * Streamable HTTP client transport, written for the proxy: every message read from a POST's
 * response (JSON or SSE) is tagged with the request it answers, which the SDK's transport does
 * not expose, and nothing is schema-validated on the way through.
 */
export class StreamableHttpUpstream implements UpstreamTransport {
  onmessage?: (message: JsonRpcMessage, relatedTo?: RequestId) => void;
  onstreamend?: (requestId: RequestId) => void;
  isAwaiting?: (requestId: RequestId) => boolean;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onunauthorized?: UpstreamTransport['onunauthorized'];

  private sessionId: string | undefined;
  private protocolVersion: string | undefined;
  private readonly abort = new AbortController();
  private closed = false;
  private standaloneStarted = false;

  private readonly url: URL;
  private readonly headers: HeaderSource;
  private readonly fetchImpl: typeof fetch;
  /** POSTs to a plain-http server (the common, local case); https goes through node:https. */
  private readonly http1: Http1Client | undefined;
  private readonly agent: https.Agent | undefined;
  /** The POST's request options but headers, converted from the URL once (not per call). */
  private readonly postOptions: https.RequestOptions;
  private readonly postPath: string;

  constructor(url: URL, headers: HeaderSource, fetchImpl: typeof fetch = fetch) {
    this.url = url;
    this.headers = headers;
    this.fetchImpl = fetchImpl;
    const secure = url.protocol === 'https:';
    this.http1 = secure ? undefined : new Http1Client(url);
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 256 }) : undefined;
    this.postOptions = { ...urlToHttpOptions(url), method: 'POST', agent: this.agent };
    this.postPath = `${url.pathname}${url.search}`;
  }

  async start(): Promise<void> {}

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  private async requestHeaders(extra: Record<string, string>): Promise<Record<string, string>> {
    return this.withSessionHeaders({ ...(await this.headers()), ...extra });
  }

  private withSessionHeaders(headers: Record<string, string>): Record<string, string> {
    if (this.sessionId) headers['mcp-session-id'] = this.sessionId;
    if (this.protocolVersion) headers['mcp-protocol-version'] = this.protocolVersion;
    return headers;
  }

  /** The POST's headers; synchronous when the header source is (no credentials to look up). */
  private postHeaders(): Record<string, string> | Promise<Record<string, string>> {
    const source = this.headers();
    return source instanceof Promise
      ? source.then((headers) => this.withSessionHeaders({ ...headers, ...POST_HEADERS }))
      : this.withSessionHeaders({ ...source, ...POST_HEADERS });
  }

  /**
   * POSTs one message over a keep-alive node:http agent. The per-call cost of fetch (Request,
   * Headers and web-stream objects, an abort listener per call) was most of the proxy's overhead.
   */
  private post(body: string, headers: Record<string, string>): Promise<PostResponse> {
    if (this.http1) return this.http1.post(this.postPath, headers, body);
    return new Promise((resolve, reject) => {
      const request = https.request(
        { ...this.postOptions, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
        (response) => resolve(postResponseOf(response)),
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  async send(message: JsonRpcMessage, retried = false): Promise<void> {
    if (this.closed) throw new Error('the connection to the server is closed');
    const requestId = 'method' in message && 'id' in message ? message.id : undefined;
    const pending = this.postHeaders();
    const headers = pending instanceof Promise ? await pending : pending;
    const response = await this.post(JSON.stringify(message), headers);
    if (response.statusCode === 401 && this.onunauthorized && !retried) {
      // OAuth: refreshed credentials get one more try; otherwise the handler's error is the answer.
      response.discard();
      const challenge = response.headers['www-authenticate'];
      await this.onunauthorized(typeof challenge === 'string' ? challenge : undefined, headers);
      return this.send(message, true);
    }
    const sessionId = response.headers['mcp-session-id'];
    if (typeof sessionId === 'string' && sessionId) this.sessionId = sessionId;
    const status = response.statusCode ?? 0;

    if (status === 202) {
      response.discard();
      if ('method' in message && message.method === 'notifications/initialized') this.openStandaloneStream();
      return;
    }
    if (status < 200 || status >= 300) {
      const text = await readBytes(response).then(
        (bytes) => Buffer.concat(bytes).toString('utf8'),
        () => '',
      );
      if (status === 404 && this.sessionId) {
        // The server forgot our session (restart): treat as a closed connection so it is re-established.
        this.handleClose();
      }
      throw new Error(`the server answered HTTP ${status}${text ? `: ${text.slice(0, 300)}` : ''}`);
    }
    const type = response.headers['content-type'] ?? '';
    if (type.includes('text/event-stream')) {
      void this.readSse(response, requestId);
    } else if (type.includes('application/json')) {
      const body = parseJsonRpcBytes(await readBytes(response)) as JsonRpcMessage | JsonRpcMessage[];
      for (const m of Array.isArray(body) ? body : [body]) this.onmessage?.(m, requestId);
    } else {
      response.discard();
      if (requestId !== undefined)
        throw new Error(`the server answered with unexpected content type '${type || 'none'}'`);
    }
  }

  /**
   * Reads one SSE response. When a request's stream ends before its answer but gave an event id,
   * the server means "reconnect later" (SSE polling, SEP-1699): resume with a GET and
   * Last-Event-ID after the retry delay, as a direct client would.
   */
  private async readSse(
    body: PostResponse | AsyncIterable<Uint8Array>,
    relatedTo: RequestId | undefined,
    resumeAttempt = 0,
  ): Promise<void> {
    let lastEventId: string | undefined;
    let retryMs: number | undefined;
    const parse = createSseParser((event) => {
      if (event.id !== undefined) lastEventId = event.id;
      if (event.retry !== undefined) retryMs = event.retry;
      if (event.event !== 'message' || event.data.every((piece) => piece.length === 0)) return;
      let message: JsonRpcMessage;
      try {
        message = parseJsonRpcBytes(event.data, event.lines === 1) as JsonRpcMessage;
      } catch (cause) {
        const start = Buffer.concat(event.data).toString('utf8', 0, 200);
        this.onerror?.(new Error(`the server sent an event that is not JSON: ${start}`, { cause }));
        return;
      }
      this.onmessage?.(message, relatedTo);
    });
    try {
      if ('read' in body) {
        await body.read(parse);
      } else {
        for await (const chunk of body) parse(chunk);
      }
    } catch (error) {
      if (!this.closed) this.onerror?.(error as Error);
    }
    if (relatedTo === undefined || this.closed || !(this.isAwaiting?.(relatedTo) ?? true)) return;
    if (lastEventId !== undefined && resumeAttempt < MAX_RESUME_ATTEMPTS) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(retryMs ?? 1000, 30_000)));
      if (this.closed || !(this.isAwaiting?.(relatedTo) ?? true)) return;
      try {
        const resumed = await this.fetchImpl(this.url, {
          method: 'GET',
          headers: await this.requestHeaders({ accept: 'text/event-stream', 'last-event-id': lastEventId }),
          signal: this.abort.signal,
        });
        if (resumed.ok && (resumed.headers.get('content-type') ?? '').includes('text/event-stream')) {
          return this.readSse(resumed.body as unknown as AsyncIterable<Uint8Array>, relatedTo, resumeAttempt + 1);
        }
        await resumed.body?.cancel();
      } catch (error) {
        if (!this.closed) this.onerror?.(error as Error);
      }
    }
    this.onstreamend?.(relatedTo);
  }

  /** The GET stream carries server messages not tied to a request (list_changed, roots/list…). */
  private openStandaloneStream(attempt = 0): void {
    if (this.closed || (this.standaloneStarted && attempt === 0)) return;
    this.standaloneStarted = true;
    void (async () => {
      let response: Response;
      try {
        response = await this.fetchImpl(this.url, {
          method: 'GET',
          headers: await this.requestHeaders({ accept: 'text/event-stream' }),
          signal: this.abort.signal,
        });
      } catch {
        return this.retryStandalone(attempt);
      }
      if (!response.ok || !(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
        // 405: the server offers no standalone stream, which the spec allows.
        await response.body?.cancel();
        return;
      }
      await this.readSse(response.body as unknown as AsyncIterable<Uint8Array>, undefined);
      this.retryStandalone(0);
    })();
  }

  private retryStandalone(attempt: number): void {
    if (this.closed) return;
    const delay = Math.min(30_000, 500 * 2 ** attempt);
    setTimeout(() => this.openStandaloneStream(attempt + 1), delay).unref();
  }

  private handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.agent?.destroy();
    this.http1?.destroy();
    this.onclose?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const sessionId = this.sessionId;
    this.closed = true;
    this.abort.abort();
    this.agent?.destroy();
    this.http1?.destroy();
    if (sessionId) {
      // Tell the server it can free the session; a server that is gone is no reason to wait.
      try {
        const headers = await this.headers();
        await this.fetchImpl(this.url, {
          method: 'DELETE',
          headers: { ...headers, 'mcp-session-id': sessionId },
          signal: AbortSignal.timeout(1000),
        }).then((r) => r.body?.cancel());
      } catch {
        // ignored: best effort
      }
    }
    this.onclose?.();
  }
}

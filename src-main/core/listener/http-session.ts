import type { Reply } from './exchange.ts';
import { isResponse, type JsonRpcMessage, type RequestId } from '../jsonrpc/messages.ts';
import type { Pieces } from '../jsonrpc/pieces.ts';
import { serializeJsonRpc } from '../jsonrpc/raw-json.ts';
import type { DownstreamChannel, DownstreamSession } from '../router/index.ts';

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
};
const KEEPALIVE_MS = 15_000;
// A client that stops reading its stream must not make the gateway buffer without bound while a
// server floods it: past this many unsent bytes, notifications and server requests for that stream
// are dropped (responses never are). Found by test/hardening/upstream-faults.test.ts.
const MAX_UNSENT_BYTES = 8 * 1024 * 1024;

/**
 * The JSON of a message. One that cannot be serialised (a hostile server's result nested 100 000
 * deep overflows JSON.stringify) becomes an error for its request, so the call ends instead of
 * hanging; such a notification is dropped. Found by test/hardening/hostile-input.test.ts.
 */
function serialize(message: JsonRpcMessage): string | Pieces | undefined {
  try {
    // A response passed through keeps the upstream's text, id spliced (jsonrpc/raw-json.ts);
    // single-line, so the same text fits a JSON body and an SSE data line.
    return serializeJsonRpc(message, { singleLine: true });
  } catch {
    if (!isResponse(message) || message.id === null) return undefined;
    const error = {
      code: -32603,
      message: 'The server answered with a message Gatehouse cannot forward (nested too deeply). Tell its maintainer.',
    };
    return JSON.stringify({ jsonrpc: '2.0', id: message.id, error });
  }
}

const FRAME_START = Buffer.from('event: message\ndata: ');
const FRAME_END = Buffer.from('\n\n');

function sseFrame(json: string | Pieces): string | Pieces {
  return typeof json === 'string' ? `event: message\ndata: ${json}\n\n` : [FRAME_START, ...json, FRAME_END];
}

/**
 * The HTTP response of one POST that carried requests. It answers with plain JSON when the
 * response is the first thing to send (the fast, common case) and switches to an SSE stream as
 * soon as anything must go out before it (progress, logs, sampling), so order is kept.
 */
class ResponseSlot {
  private mode: 'pending' | 'sse' | 'done' = 'pending';
  private readonly remaining: Set<RequestId>;
  private readonly res: Reply;
  private readonly headers: Record<string, string>;
  private readonly batched: JsonRpcMessage[] | undefined;

  constructor(res: Reply, requestIds: RequestId[], headers: Record<string, string>, isBatch: boolean) {
    this.res = res;
    this.remaining = new Set(requestIds);
    this.headers = headers;
    this.batched = isBatch ? [] : undefined;
  }

  get open(): boolean {
    return this.mode !== 'done' && !this.res.destroyed;
  }

  deliver(message: JsonRpcMessage): void {
    if (!this.open) return;
    const final = isResponse(message) && message.id !== null && this.remaining.delete(message.id);
    const json = serialize(message);
    if (this.mode === 'pending' && final && this.remaining.size === 0 && !this.batched) {
      this.mode = 'done';
      this.res.writeHead(200, { ...this.headers, 'content-type': 'application/json' }).end(json);
      return;
    }
    if (!final && this.mode === 'sse' && this.res.writableLength > MAX_UNSENT_BYTES) return;
    if (this.mode === 'pending') {
      this.mode = 'sse';
      this.res.writeHead(200, { ...this.headers, ...SSE_HEADERS });
      this.res.flushHeaders();
    }
    if (json !== undefined) this.res.write(sseFrame(json));
    if (this.remaining.size === 0) {
      this.mode = 'done';
      this.res.end();
    }
  }
}

/**
 * One MCP session over Streamable HTTP: the POST response streams of requests in flight, and
 * the standalone GET stream for messages that belong to no request.
 */
export class HttpSession implements DownstreamChannel {
  readonly id: string;
  session!: DownstreamSession;
  private readonly slots = new Map<RequestId, ResponseSlot>();
  private standalone: Reply | undefined;
  private keepalive: NodeJS.Timeout | undefined;

  constructor(id: string) {
    this.id = id;
  }

  get hasStandaloneStream(): boolean {
    return this.standalone !== undefined;
  }

  get pendingCount(): number {
    return this.slots.size;
  }

  /** Registers the response of a POST that carried `requestIds`. */
  openSlot(res: Reply, requestIds: RequestId[], headers: Record<string, string>, isBatch: boolean): void {
    const slot = new ResponseSlot(res, requestIds, headers, isBatch);
    for (const id of requestIds) this.slots.set(id, slot);
    res.on('close', () => {
      for (const id of requestIds) if (this.slots.get(id) === slot) this.slots.delete(id);
    });
  }

  send(message: JsonRpcMessage, relatedRequestId?: RequestId): void {
    if (isResponse(message) && message.id !== null) {
      const slot = this.slots.get(message.id);
      if (slot) {
        this.slots.delete(message.id);
        slot.deliver(message);
      }
      return;
    }
    const slot = relatedRequestId === undefined ? undefined : this.slots.get(relatedRequestId);
    if (slot?.open) {
      slot.deliver(message);
      return;
    }
    // Unrelated (or its request stream is gone): the standalone stream, if the client opened one.
    const stream = this.standalone;
    if (!stream || stream.destroyed || stream.writableLength > MAX_UNSENT_BYTES) return;
    const json = serialize(message);
    if (json !== undefined) stream.write(sseFrame(json));
  }

  openStandalone(res: Reply, headers: Record<string, string>): void {
    this.standalone = res;
    res.writeHead(200, { ...headers, ...SSE_HEADERS });
    res.flushHeaders();
    this.keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
    res.on('close', () => {
      clearInterval(this.keepalive);
      if (this.standalone === res) this.standalone = undefined;
    });
  }

  close(): void {
    clearInterval(this.keepalive);
    this.standalone?.end();
    this.standalone = undefined;
    this.session?.close();
  }
}

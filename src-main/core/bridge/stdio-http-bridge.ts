import type { Readable, Writable } from 'node:stream';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { isJSONRPCRequest, isJSONRPCResultResponse } from '@modelcontextprotocol/sdk/types.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, JSONRPCRequest, RequestId } from '@modelcontextprotocol/sdk/types.js';

export type StdioBridgeOptions = {
  /** The gateway endpoint: `/mcp`, or `/servers/<name>/mcp`. */
  url: URL;
  /** The client's local token; undefined when it could not be read (then `tokenProblem` says why). */
  token: string | undefined;
  tokenProblem?: string;
  clientId: string;
  input?: Readable;
  output?: Writable;
  /** One line for the human reading the client's MCP log (stderr). */
  log(line: string): void;
  fetch?: FetchLike;
};

/** Implementation-defined JSON-RPC server error: the gateway behind the bridge is not usable. */
const GATEWAY_UNAVAILABLE = -32000;
const REINITIALIZE_TIMEOUT_MS = 10_000;

/**
 * `gatehouse bridge`: an MCP stdio server on one side, a Streamable HTTP client of the gateway on
 * the other, passing every JSON-RPC message through unchanged in both directions (requests,
 * responses, notifications, server-to-client requests such as sampling, progress). Both SDK
 * transports are used raw, without Client/Server classes, so nothing is interpreted or dropped.
 *
 * Resolves when the client closes stdin. Never hangs a request: if the gateway cannot be reached
 * or refuses the token, the request is answered with a JSON-RPC error saying what to do. If the
 * gateway restarted (its session is gone), the bridge replays the client's `initialize` once on a
 * new session, so the AI client keeps working without a restart.
 */
export async function runStdioBridge(options: StdioBridgeOptions): Promise<void> {
  const bridge = new StdioHttpBridge(options);
  await bridge.run();
}

class StdioHttpBridge {
  private readonly options: StdioBridgeOptions;
  private readonly stdio: StdioServerTransport;
  private http: StreamableHTTPClientTransport | undefined;
  private initialize: JSONRPCRequest | undefined;
  private reinitializing: Promise<void> | undefined;
  private readonly bridgeRequests = new Map<RequestId, (message: JSONRPCMessage) => void>();
  private reinitCount = 0;
  private lastLogged = '';

  constructor(options: StdioBridgeOptions) {
    this.options = options;
    this.stdio = new StdioServerTransport(options.input, options.output);
  }

  async run(): Promise<void> {
    const input = this.options.input ?? process.stdin;
    const closed = new Promise<void>((resolve) => {
      input.once('end', resolve);
      input.once('close', resolve);
      this.stdio.onclose = resolve;
    });
    this.stdio.onmessage = (message) => this.fromClient(message);
    this.stdio.onerror = (error) =>
      this.logOnce(`gatehouse bridge: could not read a message from the client: ${error.message}`);
    await this.stdio.start();
    if (this.options.token === undefined) this.logOnce(`gatehouse bridge: ${this.options.tokenProblem ?? 'no token'}`);
    await closed;
    await this.close();
  }

  private fromClient(message: JSONRPCMessage): void {
    if (isJSONRPCRequest(message) && message.method === 'initialize') this.initialize = message;
    if (this.options.token === undefined) {
      this.answerWithError(message, this.options.tokenProblem ?? 'The bridge has no token.');
      return;
    }
    void this.forward(message, false);
  }

  private async forward(message: JSONRPCMessage, retried: boolean): Promise<void> {
    try {
      await this.reinitializing;
      await this.transport().send(message);
    } catch (error) {
      if (retried || !this.sessionGone(error) || message === this.initialize) return this.fail(message, error);
      try {
        await this.reinitialize();
      } catch (reinitError) {
        return this.fail(message, reinitError);
      }
      return this.forward(message, true);
    }
  }

  private fail(message: JSONRPCMessage, error: unknown): void {
    const text = this.describe(error);
    this.logOnce(`gatehouse bridge: ${text}`);
    this.answerWithError(message, text);
  }

  private fromGateway(message: JSONRPCMessage): void {
    const answer =
      'id' in message && !('method' in message) && message.id !== undefined
        ? this.bridgeRequests.get(message.id)
        : undefined;
    if (answer) {
      answer(message);
      return;
    }
    if (isJSONRPCResultResponse(message) && this.initialize && message.id === this.initialize.id) {
      this.adoptProtocolVersion(message);
    }
    this.stdio
      .send(message)
      .catch((error: Error) => this.logOnce(`gatehouse bridge: could not write to the client: ${error.message}`));
  }

  private transport(): StreamableHTTPClientTransport {
    if (this.http) return this.http;
    const http = new StreamableHTTPClientTransport(this.options.url, {
      requestInit: { headers: { Authorization: `Bearer ${this.options.token}` } },
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
    });
    http.onmessage = (message) => this.fromGateway(message);
    // Send failures are reported per request in forward(); this is the standalone GET stream.
    http.onerror = (error) => {
      if (!(error instanceof StreamableHTTPError) && !/fetch failed/.test(error.message))
        this.logOnce(`gatehouse bridge: ${error.message}`);
    };
    void http.start();
    this.http = http;
    return http;
  }

  /** The Client class would do this after `initialize`: later requests carry the negotiated version. */
  private adoptProtocolVersion(message: JSONRPCMessage): void {
    const version = isJSONRPCResultResponse(message)
      ? (message.result as { protocolVersion?: unknown }).protocolVersion
      : undefined;
    if (typeof version === 'string') this.transport().setProtocolVersion(version);
  }

  private sessionGone(error: unknown): boolean {
    return error instanceof StreamableHTTPError && error.code === 404 && this.initialize !== undefined;
  }

  /** A new gateway session that answers as the old one did: replay `initialize` and `initialized`. */
  private reinitialize(): Promise<void> {
    this.reinitializing ??= (async () => {
      const old = this.http;
      this.http = undefined;
      await old?.close();
      const id = `gatehouse-bridge-reinitialize-${(this.reinitCount += 1)}`;
      const answered = new Promise<JSONRPCMessage>((resolve, reject) => {
        this.bridgeRequests.set(id, resolve);
        setTimeout(
          () => reject(new Error('the gateway did not answer a new initialize in time')),
          REINITIALIZE_TIMEOUT_MS,
        ).unref();
      });
      try {
        await this.transport().send({ ...this.initialize!, id });
        const response = await answered;
        if (!isJSONRPCResultResponse(response)) throw new Error('the gateway refused a new session');
        this.adoptProtocolVersion(response);
        await this.transport().send({ jsonrpc: '2.0', method: 'notifications/initialized' });
        this.options.log('gatehouse bridge: Gatehouse restarted; continuing on a new session.');
      } finally {
        this.bridgeRequests.delete(id);
      }
    })().finally(() => {
      this.reinitializing = undefined;
    });
    return this.reinitializing;
  }

  private answerWithError(message: JSONRPCMessage, text: string): void {
    if (!isJSONRPCRequest(message)) return;
    const reply: JSONRPCMessage = {
      jsonrpc: '2.0',
      id: message.id,
      error: { code: GATEWAY_UNAVAILABLE, message: text },
    };
    this.stdio.send(reply).catch(() => undefined);
  }

  private describe(error: unknown): string {
    const { url, clientId } = this.options;
    if (error instanceof StreamableHTTPError && error.code === 401) {
      return `Gatehouse at ${url.origin} rejected the token of '${clientId}' (revoked, or a different data dir). Run 'gatehouse clients connect ${clientId}' and restart the AI client.`;
    }
    if (error instanceof StreamableHTTPError && error.code === 404 && !this.initialize) {
      return `Gatehouse has no endpoint ${url.pathname} (is the server name right?).`;
    }
    if (error instanceof TypeError || isConnectionError(error)) {
      return `Gatehouse is not running at ${url.origin}. Start the Gatehouse app (or 'gatehouse serve'), then restart the AI client.`;
    }
    return `Gatehouse could not handle the request: ${error instanceof Error ? error.message : String(error)}`;
  }

  /** The client's MCP log shows stderr; the same problem repeated on every request is noise. */
  private logOnce(line: string): void {
    if (line === this.lastLogged) return;
    this.lastLogged = line;
    this.options.log(line);
  }

  private async close(): Promise<void> {
    const http = this.http;
    this.http = undefined;
    if (http?.sessionId) {
      await Promise.race([
        http.terminateSession().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 1000).unref()),
      ]);
    }
    await http?.close();
    this.stdio.onclose = undefined;
    await this.stdio.close();
  }
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { cause?: { code?: string } } | undefined)?.cause?.code;
  return typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|UND_ERR_SOCKET)$/.test(code);
}

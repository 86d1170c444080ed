// The client of the measurement loops: raw JSON-RPC POSTs over one keep-alive socket per session,
// with no schema validation, so that the same few microseconds of client work sit on both the
// direct path and the path through Gatehouse and the difference is the gateway's.
import http from 'node:http';

type JsonRpcResponse = { jsonrpc: '2.0'; id: number; result?: Record<string, unknown>; error?: { message: string } };

const PROTOCOL_VERSION = '2025-11-25';

/** Pulls the JSON-RPC response with `id` out of a plain JSON body or an SSE stream. */
function parseResponse(contentType: string, body: string, id: number): JsonRpcResponse {
  if (contentType.includes('text/event-stream')) {
    for (const line of body.split('\n')) {
      if (!line.startsWith('data:')) continue;
      const message = JSON.parse(line.slice(5)) as JsonRpcResponse;
      if (message.id === id && ('result' in message || 'error' in message)) return message;
    }
    throw new Error(`the SSE stream ended without the response to request ${id}`);
  }
  return JSON.parse(body) as JsonRpcResponse;
}

export class LeanSession {
  private readonly url: URL;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly baseHeaders: Record<string, string>;
  private sessionId: string | undefined;
  private nextId = 1;

  private constructor(url: string, token: string | undefined) {
    this.url = new URL(url);
    this.baseHeaders = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token && { authorization: `Bearer ${token}` }),
    };
  }

  /** initialize + notifications/initialized, like every MCP client does before its first call. */
  static async open(url: string, token?: string): Promise<LeanSession> {
    const session = new LeanSession(url, token);
    await session.request('initialize', {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'gatehouse-bench', version: '1' },
    });
    await session.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return session;
  }

  /** The result of `method`; throws on a JSON-RPC error or a tool error, so a bench never times failures. */
  async request(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const { status, contentType, body } = await this.post({ jsonrpc: '2.0', id, method, params });
    if (status !== 200) throw new Error(`${method} answered HTTP ${status}: ${body.slice(0, 300)}`);
    const response = parseResponse(contentType, body, id);
    if (response.error) throw new Error(`${method} failed: ${response.error.message}`);
    const result = response.result ?? {};
    if (result.isError) throw new Error(`${method} returned a tool error: ${JSON.stringify(result).slice(0, 300)}`);
    return result;
  }

  private post(message: Record<string, unknown>): Promise<{ status: number; contentType: string; body: string }> {
    const payload = JSON.stringify(message);
    const headers: Record<string, string> = {
      ...this.baseHeaders,
      'content-length': String(Buffer.byteLength(payload)),
    };
    if (this.sessionId) {
      headers['mcp-session-id'] = this.sessionId;
      headers['mcp-protocol-version'] = PROTOCOL_VERSION;
    }
    return new Promise((resolve, reject) => {
      const req = http.request(this.url, { method: 'POST', headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const sessionId = res.headers['mcp-session-id'];
          if (typeof sessionId === 'string') this.sessionId = sessionId;
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'] ?? '',
            body: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Ends the session on the server (DELETE) and closes the socket. */
  async close(): Promise<void> {
    if (this.sessionId) {
      await new Promise<void>((resolve) => {
        const req = http.request(
          this.url,
          {
            method: 'DELETE',
            headers: {
              ...this.baseHeaders,
              'mcp-session-id': this.sessionId!,
              'mcp-protocol-version': PROTOCOL_VERSION,
            },
            agent: this.agent,
          },
          (res) =>
            res
              .resume()
              .on('end', resolve)
              .on('error', () => resolve()),
        );
        req.on('error', () => resolve());
        req.end();
      });
    }
    this.agent.destroy();
  }
}

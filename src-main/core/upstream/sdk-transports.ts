import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JsonRpcMessage } from '../jsonrpc/messages.ts';
import type { HeaderSource } from './http-transport.ts';
import type { UpstreamTransport } from './transport.ts';

const STDERR_KEEP = 4096;

/**
 * Adapts an SDK transport (stdio, legacy SSE) to the gateway's raw interface. The SDK's client
 * modules load its zod schemas (about 20 MB), so they are imported when a server of that kind
 * first starts, not when the gateway does.
 */
class SdkTransportAdapter implements UpstreamTransport {
  onmessage?: UpstreamTransport['onmessage'];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onunauthorized?: UpstreamTransport['onunauthorized'];
  /** What the OAuth hook answered to a 401; the SDK transport would report it as a bare HTTP error. */
  authError: Error | undefined;
  protected inner: Transport | undefined;
  private readonly createInner: () => Promise<Transport>;
  private protocolVersion: string | undefined;

  constructor(createInner: () => Promise<Transport>) {
    this.createInner = createInner;
  }
  async start(): Promise<void> {
    const inner = await this.createInner();
    this.inner = inner;
    inner.onmessage = (message) => this.onmessage?.(message as JsonRpcMessage);
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
    if (this.protocolVersion !== undefined) inner.setProtocolVersion?.(this.protocolVersion);
    return inner.start().catch((error: unknown) => this.rethrow(error));
  }
  send(message: JsonRpcMessage): Promise<void> {
    if (!this.inner) return Promise.reject(new Error('the connection to the server is not started'));
    return this.inner.send(message as Parameters<Transport['send']>[0]).catch((error: unknown) => this.rethrow(error));
  }
  private rethrow(error: unknown): never {
    const authError = this.authError;
    this.authError = undefined;
    throw authError ?? error;
  }
  async close(): Promise<void> {
    await this.inner?.close();
  }
  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
    this.inner?.setProtocolVersion?.(version);
  }
}

export type StdioOptions = { command: string; args?: string[]; env?: Record<string, string>; cwd?: string };

/** A local server spawned as a child process; its stderr is kept (tail only) for error messages. */
export class StdioUpstream extends SdkTransportAdapter {
  private stderrTail = '';

  constructor(options: StdioOptions) {
    super(async () => {
      const { getDefaultEnvironment, StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
      const transport = new StdioClientTransport({
        command: options.command,
        args: options.args ?? [],
        env: { ...getDefaultEnvironment(), ...options.env },
        ...(options.cwd !== undefined && { cwd: options.cwd }),
        stderr: 'pipe',
      });
      transport.stderr?.on('data', (chunk: Buffer) => {
        this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_KEEP);
      });
      return transport;
    });
  }

  recentStderr(): string {
    return this.stderrTail.trim();
  }
}

/** A legacy HTTP+SSE server (protocol 2024-11-05). */
export function createLegacySseUpstream(url: URL, headers: HeaderSource): UpstreamTransport {
  const once = async (input: Parameters<typeof fetch>[0], init: RequestInit | undefined) => {
    const added = await headers();
    const merged = new Headers(init?.headers);
    for (const [k, v] of Object.entries(added)) merged.set(k, v);
    return { response: await fetch(input, { ...init, headers: merged }), added };
  };
  const withHeaders: typeof fetch = async (input, init) => {
    const first = await once(input, init);
    if (first.response.status !== 401 || !adapter.onunauthorized) return first.response;
    // OAuth: one more try with refreshed credentials, else the handler's error is the answer.
    await first.response.body?.cancel();
    try {
      await adapter.onunauthorized(first.response.headers.get('www-authenticate') ?? undefined, first.added);
    } catch (error) {
      adapter.authError = error as Error;
      throw error;
    }
    return (await once(input, init)).response;
  };
  const adapter = new SdkTransportAdapter(async () => {
    const { SSEClientTransport } = await import('@modelcontextprotocol/sdk/client/sse.js');
    return new SSEClientTransport(url, { fetch: withHeaders, eventSourceInit: { fetch: withHeaders } });
  });
  return adapter;
}

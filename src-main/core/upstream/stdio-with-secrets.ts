import type { JsonRpcMessage } from '../jsonrpc/messages.ts';
import { StdioUpstream, type StdioOptions } from './sdk-transports.ts';
import type { UpstreamTransport } from './transport.ts';

/**
 * A stdio server whose secret environment variables are looked up when it starts, not when it is
 * configured: the values never sit in a ServerConfig, which is hashed, cached and shown. A lookup
 * that fails (a credential is missing) fails the start with that message.
 */
export class StdioWithSecretsUpstream implements UpstreamTransport {
  onmessage?: UpstreamTransport['onmessage'];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private inner: StdioUpstream | undefined;
  private readonly options: StdioOptions;
  private readonly secretEnv: () => Promise<Record<string, string>>;

  constructor(options: StdioOptions, secretEnv: () => Promise<Record<string, string>>) {
    this.options = options;
    this.secretEnv = secretEnv;
  }

  async start(): Promise<void> {
    const secrets = await this.secretEnv();
    const inner = new StdioUpstream({ ...this.options, env: { ...this.options.env, ...secrets } });
    inner.onmessage = (message, relatedTo) => this.onmessage?.(message, relatedTo);
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
    this.inner = inner;
    await inner.start();
  }

  send(message: JsonRpcMessage): Promise<void> {
    if (!this.inner) return Promise.reject(new Error('the server is not started'));
    return this.inner.send(message);
  }

  async close(): Promise<void> {
    await this.inner?.close();
  }

  setProtocolVersion(version: string): void {
    this.inner?.setProtocolVersion(version);
  }

  recentStderr(): string {
    return this.inner?.recentStderr() ?? '';
  }
}

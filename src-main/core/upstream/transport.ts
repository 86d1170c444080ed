import type { JsonRpcMessage, RequestId } from '../jsonrpc/messages.ts';

/**
 * What the gateway needs from a connection to an upstream server: raw JSON-RPC both ways.
 * `relatedTo` names the gateway's request whose response stream carried a message (Streamable
 * HTTP gives that for free), so server-to-client requests reach the right AI client session.
 */
export interface UpstreamTransport {
  start(): Promise<void>;
  send(message: JsonRpcMessage): Promise<void>;
  close(): Promise<void>;
  onmessage?: (message: JsonRpcMessage, relatedTo?: RequestId) => void;
  /** Set by the connection: is the answer to `requestId` still awaited? (decides stream resumption) */
  isAwaiting?: (requestId: RequestId) => boolean;
  /** The response stream of `requestId` ended without its response. */
  onstreamend?: (requestId: RequestId) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  setProtocolVersion?(version: string): void;
  /**
   * Set by the pool for servers that may use OAuth: the server answered 401 to the headers sent.
   * Resolves when fresh credentials are in place (the request is sent once more); rejects with the
   * error to report (e.g. UpstreamError 'auth_required').
   */
  onunauthorized?: (wwwAuthenticate: string | undefined, sentHeaders: Record<string, string>) => Promise<void>;
  /** Recent stderr of a local server, for error messages. */
  recentStderr?(): string;
}

import type { IncomingHttpHeaders } from 'node:http';
import type { Pieces } from '../jsonrpc/pieces.ts';

/**
 * One HTTP request to an MCP endpoint, as the endpoint needs it: the same shape whether node:http
 * parsed it or the fast front did (fast-front.ts).
 */
export type EndpointRequest = {
  method: string;
  url: string;
  /** Lower-case names, as node:http gives them. */
  headers: IncomingHttpHeaders;
  /** The body as UTF-8 text; rejects with BodyTooLarge over `limit` bytes. A string when it is already read. */
  readBody(limit: number): string | Promise<string>;
};

export class BodyTooLarge extends Error {}

/**
 * What the endpoint writes its answer to: the part of node's ServerResponse it uses, which the fast
 * front's SocketReply implements too. As with ServerResponse, `writeHead` only records the head;
 * it goes out with the first `write`, `flushHeaders` or `end`.
 */
export interface Reply {
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  /** Bytes accepted but not yet handed to the OS (for back-pressure on streams). */
  readonly writableLength: number;
  writeHead(status: number, headers?: Record<string, string>): this;
  flushHeaders(): void;
  /** Text is written as UTF-8; bytes (a large response passed through, jsonrpc/pieces.ts) as they are. */
  write(chunk: string | Pieces): boolean;
  end(chunk?: string | Pieces): this;
  /** 'close': the reply ended or its connection went away. */
  on(event: 'close', listener: () => void): this;
}

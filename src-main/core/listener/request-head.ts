import type { IncomingHttpHeaders } from 'node:http';

export type RequestHead = {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Content-Length as a number. */
  contentLength: number;
  /** The client asked to close the connection after this request. */
  close: boolean;
};

const REQUEST_LINE = /^([A-Z]+) (\/\S*) HTTP\/1\.1$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Control characters other than tab, CR and LF (a CR or LF is checked where it stands, per line).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/;
const DIGITS = /^\d{1,15}$/;
/** Requests with these go to node:http: their semantics (and their attacks) are its business. */
const LEAVE_TO_NODE = new Set(['transfer-encoding', 'expect', 'upgrade']);

/**
 * Parses the head of a request the fast front can answer itself: HTTP/1.1, origin-form target,
 * well-formed header lines, each header name once, a plain Content-Length, and no
 * Transfer-Encoding, Expect or Upgrade. Anything else returns undefined and the connection goes to
 * node:http, which answers it (or rejects it) as it always did: the fast path never has to decide
 * an ambiguous case, such as two Content-Lengths (request smuggling) or an obsolete line folding.
 * `text` is the head decoded as latin1, without the final empty line.
 */
export function parseRequestHead(text: string): RequestHead | undefined {
  if (CONTROL.test(text)) return undefined;
  const lines = text.split('\r\n');
  const request = REQUEST_LINE.exec(lines[0]!);
  if (!request) return undefined;
  // A plain object, as node:http's: an inherited name (constructor, __proto__) reads as a duplicate
  // below and the request goes to node:http.
  const headers: IncomingHttpHeaders = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0 || line.includes('\r') || line.includes('\n')) return undefined; // a bare CR or LF
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return undefined;
    const lower = name.toLowerCase();
    if (lower in headers || LEAVE_TO_NODE.has(lower)) return undefined;
    headers[lower] = line.slice(colon + 1).trim();
  }
  const length = headers['content-length'];
  if (typeof length !== 'string' || !DIGITS.test(length)) return undefined;
  const connection = headers.connection;
  return {
    method: request[1]!,
    url: request[2]!,
    headers,
    contentLength: Number(length),
    close: typeof connection === 'string' && /\bclose\b/i.test(connection),
  };
}

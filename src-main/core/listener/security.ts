import type { IncomingHttpHeaders } from 'node:http';
import type { LocalTokenStore } from '../tokens/index.ts';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function hostnameOf(hostHeader: string): string {
  // "[::1]:7391" → "[::1]", "127.0.0.1:7391" → "127.0.0.1"
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  const colon = hostHeader.lastIndexOf(':');
  return (colon === -1 ? hostHeader : hostHeader.slice(0, colon)).toLowerCase();
}

/** DNS rebinding defence: a page on evil.example that resolves to 127.0.0.1 still sends its own Host. */
export function hostProblem(headers: IncomingHttpHeaders): string | undefined {
  const host = headers.host;
  if (!host) return 'missing Host header';
  return LOOPBACK_HOSTS.has(hostnameOf(host)) ? undefined : `Host '${host}' is not a loopback name`;
}

/**
 * Web pages must not reach the endpoint. Non-browser clients send no Origin and pass; a browser
 * always sends one, and only Gatehouse's own window (served from this listener) is allowed.
 */
export function originProblem(headers: IncomingHttpHeaders, port: number): string | undefined {
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  try {
    const url = new URL(origin);
    if (
      url.protocol === 'http:' &&
      LOOPBACK_HOSTS.has(url.hostname === '::1' ? '[::1]' : url.hostname) &&
      Number(url.port) === port
    ) {
      return undefined;
    }
  } catch {
    // falls through: an unparsable Origin ("null") is foreign
  }
  return `Origin '${origin}' is not allowed`;
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Token checks on the hot path: a verified token is remembered briefly so most requests cost a
 * map lookup; a revoked token stops working within `ttlMs`.
 */
export class TokenGate {
  private readonly store: LocalTokenStore;
  private readonly ttlMs: number;
  private readonly verified = new Map<string, { clientId: string; until: number }>();

  constructor(store: LocalTokenStore, ttlMs = 1000) {
    this.store = store;
    this.ttlMs = ttlMs;
  }

  /** The client id of a token verified less than `ttlMs` ago, without a turn of the event loop. */
  recent(token: string | undefined): string | undefined {
    if (!token) return undefined;
    const hit = this.verified.get(token);
    return hit && hit.until > Date.now() ? hit.clientId : undefined;
  }

  async check(token: string | undefined): Promise<string | undefined> {
    if (!token) return undefined;
    const recent = this.recent(token);
    if (recent) return recent;
    const result = await this.store.check(token);
    if (!result.ok) {
      this.verified.delete(token);
      return undefined;
    }
    if (this.verified.size > 1000) this.verified.clear();
    this.verified.set(token, { clientId: result.clientId, until: Date.now() + this.ttlMs });
    return result.clientId;
  }
}

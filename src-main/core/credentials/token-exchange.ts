/** What the policy's `identity.tokenExchange` asks the IdP for. */
export type TokenExchangeRequest = { audience?: string; resource?: string; scope?: string };

/** One exchanged token; `expiresIn` in seconds as the IdP said. */
export type ExchangedToken = { accessToken: string; expiresIn?: number };

type Cached = { accessToken: string; refreshAfter: number };

// A token without a stated lifetime is used this long before it is exchanged again.
const UNKNOWN_LIFETIME_MS = 60_000;

/**
 * Tokens minted for one server each by RFC 8693 token exchange at the IdP, in memory only. A token
 * is reused until 80 % of its lifetime has passed, and callers that want the same token while an
 * exchange runs share it (single flight): a burst of calls costs one exchange.
 */
export class ExchangedTokens {
  private readonly exchange: (request: TokenExchangeRequest) => Promise<ExchangedToken>;
  private readonly now: () => number;
  private readonly cache = new Map<string, Cached>();
  private readonly inflight = new Map<string, Promise<string>>();
  private generation = 0;

  constructor(options: { exchange: (request: TokenExchangeRequest) => Promise<ExchangedToken>; now?: () => number }) {
    this.exchange = options.exchange;
    this.now = options.now ?? Date.now;
  }

  get(request: TokenExchangeRequest): Promise<string> {
    const key = JSON.stringify([request.audience ?? '', request.resource ?? '', request.scope ?? '']);
    const cached = this.cache.get(key);
    if (cached && this.now() < cached.refreshAfter) return Promise.resolve(cached.accessToken);
    const running = this.inflight.get(key);
    if (running) return running;
    const generation = this.generation;
    const startedAt = this.now();
    const run = this.exchange(request)
      .then((token) => {
        const lifetimeMs = token.expiresIn !== undefined ? token.expiresIn * 1000 : UNKNOWN_LIFETIME_MS;
        // A sign-out while the exchange ran: hand the token to the waiting caller, keep nothing.
        if (generation === this.generation) {
          this.cache.set(key, { accessToken: token.accessToken, refreshAfter: startedAt + lifetimeMs * 0.8 });
        }
        return token.accessToken;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, run);
    return run;
  }

  /** Forgets every token (sign-out, another user). */
  clear(): void {
    this.generation++;
    this.cache.clear();
    this.inflight.clear();
  }
}

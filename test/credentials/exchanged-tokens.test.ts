import { describe, expect, it } from 'vitest';
import { ExchangedTokens, type ExchangedToken } from '../../src-main/core/credentials/token-exchange.ts';

/** An exchange the test resolves by hand, counting calls. */
function manualExchange() {
  const calls: { resolve(token: ExchangedToken): void }[] = [];
  return {
    calls,
    exchange: () => new Promise<ExchangedToken>((resolve) => calls.push({ resolve })),
  };
}

describe('tokens minted per server by token exchange', () => {
  it('shares one exchange among concurrent callers and reuses the token until 80 % of its lifetime', async () => {
    let now = 1_000_000;
    const ex = manualExchange();
    const tokens = new ExchangedTokens({ exchange: ex.exchange, now: () => now });
    const request = { audience: 'https://a.example/mcp' };
    const burst = [tokens.get(request), tokens.get(request), tokens.get(request)];
    expect(ex.calls).toHaveLength(1);
    ex.calls[0]!.resolve({ accessToken: 'one', expiresIn: 100 });
    expect(await Promise.all(burst)).toEqual(['one', 'one', 'one']);

    now += 79_000;
    expect(await tokens.get(request)).toBe('one');
    expect(ex.calls).toHaveLength(1);
    now += 2_000; // past 80 s of 100 s
    const renewed = tokens.get(request);
    expect(ex.calls).toHaveLength(2);
    ex.calls[1]!.resolve({ accessToken: 'two', expiresIn: 100 });
    expect(await renewed).toBe('two');

    // Another audience is another token.
    void tokens.get({ audience: 'https://b.example/mcp' });
    expect(ex.calls).toHaveLength(3);
  });

  it('keeps nothing from an exchange that finished after a sign-out', async () => {
    const ex = manualExchange();
    const tokens = new ExchangedTokens({ exchange: ex.exchange });
    const request = { resource: 'https://a.example/mcp' };
    const pending = tokens.get(request);
    tokens.clear();
    ex.calls[0]!.resolve({ accessToken: 'old-user', expiresIn: 300 });
    expect(await pending).toBe('old-user');
    void tokens.get(request);
    expect(ex.calls).toHaveLength(2);
  });

  it('a failed exchange is not cached: the next call tries again', async () => {
    let fail = true;
    const tokens = new ExchangedTokens({
      exchange: async () => {
        if (fail) throw new Error('idp down');
        return { accessToken: 'ok', expiresIn: 60 };
      },
    });
    await expect(tokens.get({ audience: 'x' })).rejects.toThrow('idp down');
    fail = false;
    expect(await tokens.get({ audience: 'x' })).toBe('ok');
  });
});

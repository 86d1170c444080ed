// Web pages attacking the localhost endpoint from real Chromium: a cross-origin page (CORS
// preflight, no-cors "simple" requests, sendBeacon, EventSource) and a DNS-rebinding page whose
// name resolves to 127.0.0.1 and is same-origin with the gateway's port. Even holding a valid
// token, no page gets a session, a call or a byte of an answer.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { startGateway, type RunningGateway } from '../support/gateway-harness.ts';
import { startFaultyUpstream, type FaultyUpstream } from './support/faulty-http-upstream.ts';

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'evil-page', version: '1' } },
};

/** What the attacking page tries; each attempt reports what the page could see. */
async function attack({ endpoint, token, init }: { endpoint: string; token: string; init: typeof INIT }) {
  const seen: Record<string, string> = {};
  const json = JSON.stringify(init);
  const outcome = async (name: string, run: () => Promise<Response>) => {
    try {
      const response = await run();
      seen[name] = `${response.status} ${response.type} ${await response.text()}`;
    } catch (error) {
      seen[name] = `blocked: ${(error as Error).name}`;
    }
  };
  // CORS preflight (custom headers): the browser asks first, the gateway must not say yes.
  await outcome('preflight', () =>
    fetch(endpoint, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: json,
    }),
  );
  // "Simple" requests reach the server without a preflight: it must refuse them itself.
  await outcome('no-cors-text', () =>
    fetch(endpoint, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: json }),
  );
  await outcome('no-cors-form', () =>
    fetch(endpoint, {
      method: 'POST',
      mode: 'no-cors',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: json,
    }),
  );
  seen.beacon = String(navigator.sendBeacon(endpoint, new Blob([json], { type: 'text/plain' })));
  seen.eventSource = await new Promise<string>((resolve) => {
    const source = new EventSource(endpoint);
    source.onopen = () => resolve('open');
    source.onerror = () => resolve('error');
    setTimeout(() => resolve('timeout'), 3000);
  }).then((state) => state);
  return seen;
}

describe('a web page in real Chromium against the localhost endpoint', () => {
  let gw: RunningGateway;
  let remote: FaultyUpstream;
  let browser: Browser;
  let evil: http.Server;
  let evilPort: number;
  const forwarded: string[] = [];
  beforeAll(async () => {
    remote = await startFaultyUpstream();
    gw = await startGateway(
      { remote: { url: remote.url } },
      { onRequestDone: (done) => void forwarded.push(done.method) },
    );
    evil = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>evil</h1>'));
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilPort = (evil.address() as AddressInfo).port;
    browser = await launchChromium([
      // DNS rebinding, made deterministic: the attacker's name resolves to loopback.
      '--host-resolver-rules=MAP evil.example 127.0.0.1',
      // Chromium's own Private/Local Network Access checks would stop some of these requests
      // first; Firefox and Safari have none, so the gateway's defences are tested without them.
      '--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks',
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await remote?.close();
    await new Promise((resolve) => evil?.close(resolve));
  });

  function expectNothingGotThrough(seen: Record<string, string>): void {
    for (const [name, what] of Object.entries(seen)) {
      expect(what, name).not.toMatch(/^200 /);
      expect(what, name).not.toContain('protocolVersion');
      expect(what, name).not.toContain('serverInfo');
    }
    expect(gw.gateway.router.sessionCount).toBe(0);
    expect(forwarded).toEqual([]);
    expect([...remote.calls.values()].reduce((a, b) => a + b, 0)).toBe(0);
  }

  it('a page on another origin gets nothing, even with a valid token', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${evilPort}/`);
      const seen = await page.evaluate(attack, { endpoint: gw.gateway.endpoint, token: gw.token, init: INIT });
      console.log('cross-origin:', seen);
      expect(seen.preflight).toBe('blocked: TypeError');
      expectNothingGotThrough(seen);
    } finally {
      await context.close();
    }
  });

  it('a DNS-rebinding page (evil.example -> 127.0.0.1, same port, so same-origin) is refused by Host', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const origin = `http://evil.example:${gw.gateway.port}`;
      // The attacker's page as it was served before the name was rebound to 127.0.0.1.
      await page.route(`${origin}/`, (route) =>
        route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>rebound</h1>' }),
      );
      await page.goto(`${origin}/`);
      const seen = await page.evaluate(attack, { endpoint: `${origin}/mcp`, token: gw.token, init: INIT });
      console.log('rebinding:', seen);
      // Same-origin now, so the page can read the answer: it must be the refusal, naming the Host.
      expect(seen.preflight).toMatch(/^403 basic .*evil\.example/);
      expectNothingGotThrough(seen);
    } finally {
      await context.close();
    }
  });
});

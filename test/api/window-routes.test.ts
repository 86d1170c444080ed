// windowRoutes mounted on the real gateway listener (createGateway's `routes`), over the in-memory
// API: which requests need which token, and the window working in Chromium through the listener's
// Host/Origin checks.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt } from '../../scripts/renderer-build.ts';
import { WINDOW_CLIENT_ID, windowRoutes, windowUrl } from '../../src-main/core/api/index.ts';
import { createGateway } from '../../src-main/core/gateway/index.ts';
import type { Gateway } from '../../src-main/core/gateway/index.ts';
import { launchChromium, openPage } from '../e2e/support/browser.ts';
import { tempDir } from '../support/gateway-harness.ts';
import { createInMemoryApi } from './in-memory-api.ts';

let gateway: Gateway;
let closeRoutes: () => void;
let origin: string;
let windowToken: string;
let browser: Browser;

beforeAll(async () => {
  await ensureRendererBuilt();
  const window = windowRoutes(createInMemoryApi());
  closeRoutes = window.close;
  gateway = await createGateway({ dataDir: await tempDir(), port: 0, servers: [], routes: window.routes });
  origin = `http://127.0.0.1:${gateway.port}`;
  windowToken = await gateway.tokens.getOrCreate(WINDOW_CLIENT_ID);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  closeRoutes?.();
  await gateway?.close();
});

const callStatus = (headers: Record<string, string>) =>
  fetch(`${origin}/api/getStatus`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: '{}',
  });

describe('windowRoutes on the gateway listener', () => {
  it('serves the bundle without a token, since a first page load cannot send one', async () => {
    const page = await fetch(`${origin}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${origin}/ui`, { redirect: 'manual' })).headers.get('location')).toBe('/ui/');
  });

  it("answers the API for the window's token only", async () => {
    expect((await callStatus({ authorization: `Bearer ${windowToken}` })).status).toBe(200);
    expect((await callStatus({})).status).toBe(401);
    const cursor = await gateway.tokens.getOrCreate('cursor');
    expect((await callStatus({ authorization: `Bearer ${cursor}` })).status).toBe(403);
  });

  it('refuses a page on another origin even with the token (DNS rebinding, CSRF)', async () => {
    expect((await callStatus({ authorization: `Bearer ${windowToken}`, origin: 'http://evil.example' })).status).toBe(
      403,
    );
    expect((await callStatus({ authorization: `Bearer ${windowToken}`, origin })).status).toBe(200);
  });

  it('works in Chromium through the listener, including the live event stream', async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      await page.goto(windowUrl(origin, windowToken));
      await page.getByRole('heading', { name: 'Servers' }).waitFor();
      await page.getByRole('button', { name: 'Live log', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });
});

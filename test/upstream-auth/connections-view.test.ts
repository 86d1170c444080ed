// The window's Connections view in real Chromium over the in-memory core: who each server is
// connected as, Connect (with the sign-in link shown), Disconnect.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt } from '../../scripts/renderer-build.ts';
import { createInMemoryApi, type InMemoryApi } from '../api/in-memory-api.ts';
import { serveWindow, type WindowServer } from '../api/window-server.ts';
import { launchChromium, openPage } from '../e2e/support/browser.ts';

let browser: Browser;
let api: InMemoryApi;
let server: WindowServer;

beforeAll(async () => {
  await ensureRendererBuilt();
  api = createInMemoryApi();
  server = await serveWindow(api);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the Connections view', () => {
  it('shows who each server is connected as, connects with a visible link and disconnects', async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      await page.goto(server.url);
      await page.getByRole('button', { name: 'Connections' }).click();
      await page.getByRole('heading', { name: 'Connections' }).waitFor();
      const linear = page.locator('[data-server="linear"]');
      await expect.poll(() => linear.textContent()).toContain('Signed in as ada@example.test');
      expect(await linear.textContent()).toContain('Token valid until');
      const sentry = page.locator('[data-server="sentry"]');
      expect(await sentry.textContent()).toContain('Needs sign-in');
      expect(await sentry.getByRole('button', { name: 'Disconnect' }).count()).toBe(0);

      await sentry.getByRole('button', { name: 'Connect' }).click();
      const link = page.getByRole('link', { name: 'https://auth.example.test/authorize?server=sentry' });
      await link.waitFor();
      expect(api.calls).toContainEqual({ method: 'connectServer', input: { server: 'sentry' } });
      await expect.poll(() => sentry.textContent()).toContain('Waiting for the browser');

      await linear.getByRole('button', { name: 'Disconnect' }).click();
      await page.getByText('linear is disconnected and its tokens were revoked').waitFor();
      await expect.poll(() => linear.textContent()).toContain('Needs sign-in');
      expect(await linear.getByRole('button', { name: 'Connect' }).isVisible()).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });
});

// The window's own behaviour in real Chromium, over the HTTP adapter and an in-memory core: the
// token handshake, 100,000 live rows, keyboard use, copy as JSON, the CSP. (The end-to-end tests
// in test/e2e run the same bundle against the real gateway.)
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt } from '../../scripts/renderer-build.ts';
import type { AuditRecord } from '../../src-main/core/api/index.ts';
import { launchChromium, openPage, screenshot } from '../e2e/support/browser.ts';
import { createInMemoryApi } from './in-memory-api.ts';
import type { InMemoryApi } from './in-memory-api.ts';
import { serveWindow } from './window-server.ts';
import type { WindowServer } from './window-server.ts';

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

function makeRecord(i: number): AuditRecord {
  const name = i % 2 ? 'read_graph' : 'echo';
  return {
    id: `bulk-${i}`,
    startedAt: new Date(Date.UTC(2026, 10, 27, 9, 0, 0) + i * 10).toISOString(),
    server: i % 2 ? 'memory' : 'everything',
    method: 'tools/call',
    name,
    client: { name: 'cursor-vscode', localTokenId: 'cursor' },
    outcome: i % 10 === 0 ? 'denied' : 'ok',
    latency: { totalMs: i % 300 },
    params: { name, arguments: { n: i } },
    result: { content: [{ type: 'text', size: 4, text: `#${i}` }] },
  };
}

describe('the window in a browser', () => {
  it('asks for the link with the token when opened without it, and hides the token once read', async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      await page.goto(`${server.origin}/ui/`);
      await expect
        .poll(() => page.getByRole('heading', { name: 'Open Gatehouse from its link' }).isVisible())
        .toBe(true);
      await page.goto(server.url);
      await page.getByRole('heading', { name: 'Servers' }).waitFor();
      expect(page.url()).not.toContain('token=');
      // A reload of the same tab keeps working: the token is kept for this tab.
      await page.reload();
      await page.getByRole('heading', { name: 'Servers' }).waitFor();
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('toggles a server and shows why a locked one cannot be switched', async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      await page.goto(server.url);
      const locked = page.getByRole('switch', { name: /^github/ });
      expect(await locked.isDisabled()).toBe(true);
      expect(await locked.getAttribute('title')).toContain('Required by Acme IT');
      await page.getByRole('switch', { name: 'memory on' }).click();
      await page.getByRole('switch', { name: 'memory off' }).waitFor();
      expect(api.calls).toContainEqual({ method: 'setServerEnabled', input: { name: 'memory', enabled: false } });
      await page.getByRole('switch', { name: 'memory off' }).click();
      await page.getByRole('switch', { name: 'memory on' }).waitFor();
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('keeps 100,000 live rows smooth: few DOM rows, fast scrolling, the right record at every position', async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      await page.goto(server.url);
      await page.getByRole('button', { name: 'Live log' }).click();
      await page.getByText('Live', { exact: true }).waitFor();
      const total = 100_000;
      for (let start = 0; start < total; start += 2000) {
        for (let i = start; i < start + 2000; i++) api.addRecord(makeRecord(i));
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      await expect
        .poll(() => page.locator('.log-footer').textContent(), { timeout: 100_000 })
        .toMatch(/^100,000 calls/);

      const rows = await page.locator('.virtual-list [role=option]').count();
      expect(rows).toBeGreaterThan(5);
      expect(rows).toBeLessThan(80);

      // Jump around the list: wherever it scrolls, only a window of rows exists in the DOM. (How fast
      // that feels is measured by looking, not asserted: timings on a shared CI machine are noise.)
      await page.evaluate(async (count) => {
        const list = document.querySelector<HTMLElement>('.virtual-list')!;
        const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
        for (let i = 0; i < count; i++) {
          list.scrollTop = (((i * 7919) % 100) / 100) * list.scrollHeight;
          await frame();
        }
      }, 30);
      expect(await page.locator('.virtual-list [role=option]').count()).toBeLessThan(80);

      // Row 50,000 from the top (newest first) is record 49,999.
      await page.evaluate(() => {
        const list = document.querySelector<HTMLElement>('.virtual-list')!;
        list.scrollTop = 50_000 * 34;
      });
      await page.locator('[data-record-id="bulk-49999"]').waitFor();
      await screenshot(page, 'window-log-100k');
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  }, 180_000);

  it('catches up with no gap after the gateway ends a live stream the window could not keep up with', async () => {
    // A tiny send buffer: a burst of records overflows it, the gateway ends the stream (it never
    // buffers without bound), the window reconnects and must page in everything it missed.
    const burstApi = createInMemoryApi();
    const burstServer = await serveWindow(burstApi, 'gh_test-burst-token', { maxBufferedEventBytes: 16 * 1024 });
    const { page, problems, close } = await openPage(browser);
    try {
      await page.goto(burstServer.url);
      await page.getByRole('button', { name: 'Live log' }).click();
      await page.getByText('Live', { exact: true }).waitFor();
      const total = 20_000;
      for (let i = 0; i < total; i++) burstApi.addRecord(makeRecord(i));
      await expect.poll(() => page.locator('.log-footer').textContent(), { timeout: 60_000 }).toMatch(/^20,000 calls/);
      // The middle of the burst is there too, not only its newest page.
      await page.evaluate(() => {
        document.querySelector<HTMLElement>('.virtual-list')!.scrollTop = 10_000 * 34;
      });
      await page.locator('[data-record-id="bulk-9999"]').waitFor();
      expect(problems).toEqual([]);
    } finally {
      await close();
      await burstServer.close();
    }
  }, 120_000);

  it('filters, walks the log with the keyboard, opens the detail and copies a record as JSON', async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      await page.goto(server.url);
      await page.getByRole('button', { name: 'Live log' }).click();
      await page.getByRole('combobox', { name: 'Outcome', exact: true }).selectOption('denied');
      await page.locator('.log-row[data-record-id]').first().waitFor();
      const outcomes = await page.locator('.virtual-list .badge').allTextContents();
      expect(new Set(outcomes)).toEqual(new Set(['Denied']));
      expect(api.calls.at(-1)).toMatchObject({ method: 'queryAudit', input: { filter: { outcome: 'denied' } } });

      await page.locator('.virtual-list').focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      const selected = page.locator('[role=option][aria-selected=true]');
      const id = await selected.getAttribute('data-record-id');
      expect(await page.locator('[role=option]').nth(1).getAttribute('data-record-id')).toBe(id);
      const detail = page.getByRole('complementary');
      await detail.getByRole('heading', { level: 2 }).waitFor();
      const record = api.records.find((r) => r.id === id)!;
      const args = (record.params as { arguments: unknown }).arguments;
      expect(await detail.getByLabel('Parameters as JSON').textContent()).toBe(JSON.stringify(args, null, 2));

      await detail.getByRole('button', { name: 'Copy as JSON' }).click();
      await detail.getByRole('button', { name: 'Copied' }).waitFor();
      expect(JSON.parse(await page.evaluate(() => navigator.clipboard.readText()))).toEqual(record);

      await page.locator('.virtual-list').focus();
      await page.keyboard.press('Escape');
      await expect.poll(() => detail.count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('previews a client change as a diff and writes it only when confirmed', async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      await page.goto(server.url);
      await page.getByRole('button', { name: 'Clients' }).click();
      const cursor = page.locator('[data-client=cursor]');
      await cursor.getByRole('button', { name: 'Connect' }).click();
      const dialog = page.getByRole('dialog', { name: 'Connect Cursor' });
      await dialog.getByLabel('Changes to the config file').waitFor();
      expect(await dialog.locator('.diff-add').count()).toBeGreaterThan(0);
      await page.keyboard.press('Escape');
      expect(api.calls.filter((c) => c.method === 'connectClient')).toEqual([]);
      await cursor.getByRole('button', { name: 'Connect' }).click();
      await dialog.getByRole('button', { name: 'Connect and write file' }).click();
      await page.getByText('Restart Cursor to pick up Gatehouse.').waitFor();
      expect(await cursor.getAttribute('data-state')).toBe('connected');
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('renders every view cleanly in both themes (screenshots for review)', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, problems, close } = await openPage(browser, { colorScheme });
      try {
        await page.goto(server.url);
        for (const [view, heading] of [
          ['Servers', 'Servers'],
          ['Tools', 'Tools'],
          ['Live log', 'Live log'],
          ['Clients', 'AI clients'],
          ['Account', 'Account'],
          ['Settings', 'Settings'],
        ] as const) {
          await page.getByRole('button', { name: view, exact: true }).click();
          await page.getByRole('heading', { level: 1, name: heading }).waitFor();
          if (view === 'Live log') {
            await page.locator('.virtual-list [role=option]').first().click();
            await page.getByRole('complementary').waitFor();
          }
          if (view === 'Tools') await page.locator('[data-tool]').first().waitFor();
          if (view === 'Clients') await page.locator('[data-client]').first().waitFor();
          await screenshot(page, `window-${colorScheme}-${view.toLowerCase().replace(' ', '-')}`);
        }
        expect(problems).toEqual([]);
      } finally {
        await close();
      }
    }
  });

  it('lays out without horizontal overflow at a small window size, in the dark theme too', async () => {
    const { page, problems, close } = await openPage(browser, { width: 400, height: 700, colorScheme: 'dark' });
    try {
      await page.goto(server.url);
      for (const view of ['Servers', 'Tools', 'Live log', 'Clients', 'Account', 'Settings']) {
        await page.getByRole('button', { name: view, exact: true }).click();
        await page.getByRole('heading', { level: 1, name: view === 'Clients' ? 'AI clients' : view }).waitFor();
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        expect(overflow, view).toBeLessThanOrEqual(0);
      }
      await screenshot(page, 'window-small-dark-settings');
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });
});

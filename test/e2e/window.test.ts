// End to end: the window in real Chromium, served by the real headless gateway (`gatehouse serve`)
// with real MCP servers behind it, and a real MCP SDK client making calls on /mcp.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt } from '../../scripts/renderer-build.ts';
import { connect } from '../support/gateway-harness.ts';
import { launchChromium, openPage, screenshot } from './support/browser.ts';
import { startHeadlessGateway } from './support/headless-gateway.ts';
import type { HeadlessGateway } from './support/headless-gateway.ts';

let gateway: HeadlessGateway;
let browser: Browser;
let client: Client;
let page: Page;
let problems: string[];
let closePage: () => Promise<void>;

beforeAll(async () => {
  await ensureRendererBuilt();
  gateway = await startHeadlessGateway();
  browser = await launchChromium();
  client = await connect(`${gateway.origin}/mcp`, gateway.clientToken, { name: 'e2e-client' });
  ({ page, problems, close: closePage } = await openPage(browser));
  await page.goto(gateway.windowUrl);
}, 120_000);

afterAll(async () => {
  await client?.close().catch(() => {});
  await closePage?.().catch(() => {});
  await browser?.close();
  await gateway?.close();
});

async function view(name: string): Promise<void> {
  await page.getByRole('button', { name, exact: true }).click();
}

async function toolNames(): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name);
}

describe('the window on the real gateway', () => {
  it('shows the configured servers once they are ready', async () => {
    await view('Servers');
    for (const name of ['everything', 'memory']) {
      await expect
        .poll(() => page.locator(`[data-server=${name}]`).getAttribute('data-state'), { timeout: 30_000 })
        .toBe('ready');
    }
    await expect.poll(() => page.locator('[data-server=everything]').textContent()).toMatch(/\d+ tools/);
    await screenshot(page, 'e2e-servers');
    expect(problems).toEqual([]);
  });

  it("switching a server off removes its tools from a real client's tools/list, and on brings them back", async () => {
    expect(await toolNames()).toEqual(expect.arrayContaining(['memory__read_graph', 'everything__echo']));
    await page.getByRole('switch', { name: 'memory on' }).click();
    await page.getByRole('switch', { name: 'memory off' }).waitFor();
    await expect
      .poll(async () => (await toolNames()).filter((n) => n.startsWith('memory__')), { timeout: 10_000 })
      .toEqual([]);
    expect(await toolNames()).toContain('everything__echo');
    await screenshot(page, 'e2e-servers-memory-off');

    await page.getByRole('switch', { name: 'memory off' }).click();
    await page.getByRole('switch', { name: 'memory on' }).waitFor();
    await expect.poll(async () => toolNames(), { timeout: 30_000 }).toContain('memory__read_graph');
    expect(problems).toEqual([]);
  });

  it("lists a server's tools with the policy's verdict", async () => {
    await page.locator('[data-server=memory]').getByRole('button', { name: /tools/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Tools' }).waitFor();
    await page.locator('[data-tool=read_graph]').waitFor();
    expect(await page.locator('[data-tool=read_graph] .badge').textContent()).toBe('Allowed');
    await screenshot(page, 'e2e-tools');
    expect(problems).toEqual([]);
  });

  it('shows calls made by a real client in the live log within a second, with their parameters', async () => {
    await view('Live log');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const marker = `hello from the e2e test ${Date.now()}`;
    const rowsBefore = await page.locator('.virtual-list [role=option]').count();

    await client.callTool({ name: 'everything__echo', arguments: { message: marker } });
    const called = Date.now();
    const newest = page.locator('.virtual-list [role=option]').first();
    await expect
      .poll(
        async () =>
          (await page.locator('.virtual-list [role=option]').count()) > rowsBefore &&
          (await newest.textContent())?.includes('echo'),
        { interval: 20, timeout: 5_000 },
      )
      .toBe(true);
    const delay = Date.now() - called;
    expect(delay).toBeLessThan(1000);

    await newest.click();
    const detail = page.getByRole('complementary');
    await expect.poll(() => detail.getByLabel('Parameters as JSON').textContent()).toContain(marker);
    expect(await detail.getByLabel('Result as JSON').textContent()).toContain(marker);
    await screenshot(page, 'e2e-log-detail');
    expect(problems).toEqual([]);
  });

  it('filters the log by server and by text', async () => {
    const marker = `needle-${Date.now()}`;
    await client.callTool({
      name: 'memory__create_entities',
      arguments: { entities: [{ name: marker, entityType: 'test', observations: ['made by the e2e test'] }] },
    });
    await client.callTool({ name: 'memory__read_graph', arguments: {} });
    await client.callTool({ name: 'everything__echo', arguments: { message: 'not the needle' } });
    await page.getByRole('button', { name: 'Close details' }).click();

    await page.getByRole('combobox', { name: 'Server', exact: true }).selectOption('memory');
    await expect
      .poll(async () => new Set(await page.locator('.virtual-list [role=option] > :nth-child(2)').allTextContents()))
      .toEqual(new Set(['memory']));
    await page.getByRole('combobox', { name: 'Server', exact: true }).selectOption('');

    // The needle is in create_entities' arguments and in read_graph's result (the whole graph), not in the echo.
    await page.getByRole('searchbox', { name: 'Search' }).fill(marker);
    await expect
      .poll(() => page.locator('.virtual-list [role=option] > :nth-child(3)').allTextContents())
      .toEqual(['read_graph', 'create_entities']);
    await screenshot(page, 'e2e-log-filtered');
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => page.locator('.virtual-list [role=option]').count()).toBeGreaterThan(3);
    await screenshot(page, 'e2e-log');
    expect(problems).toEqual([]);
  });

  it('connects Cursor after showing the diff, and the config file appears in the temp HOME', async () => {
    await view('Clients');
    const cursor = page.locator('[data-client=cursor]');
    await cursor.waitFor();
    expect(await cursor.getAttribute('data-state')).toBe('not-connected');
    await cursor.getByRole('button', { name: 'Connect' }).click();
    const dialog = page.getByRole('dialog', { name: 'Connect Cursor' });
    await expect
      .poll(() => dialog.getByLabel('Changes to the config file').textContent())
      .toContain(new URL(gateway.origin).host);
    await screenshot(page, 'e2e-clients-preview');
    await dialog.getByRole('button', { name: 'Connect and write file' }).click();
    await expect.poll(() => cursor.getAttribute('data-state')).toBe('connected');

    const written = JSON.parse(await fs.readFile(path.join(gateway.home, '.cursor', 'mcp.json'), 'utf8')) as {
      mcpServers: Record<string, { url?: string }>;
    };
    expect(Object.values(written.mcpServers).map((entry) => entry.url)).toContain(`${gateway.origin}/mcp`);
    await screenshot(page, 'e2e-clients');
    expect(problems).toEqual([]);
  });

  it('shows the account and the settings', async () => {
    await view('Account');
    await page.getByRole('heading', { level: 1, name: 'Account' }).waitFor();
    await screenshot(page, 'e2e-account');
    await view('Settings');
    await expect.poll(() => page.locator('.endpoint').textContent()).toContain(`${gateway.origin}/mcp`);
    await screenshot(page, 'e2e-settings');
    expect(problems).toEqual([]);
  });
});

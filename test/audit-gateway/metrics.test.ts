// The audit metrics and warnings through the API and in the window: real calls through the real
// gateway (SDK client, a real stdio MCP server), the API's getAuditMetrics and status, and the
// window's Metrics view in real Chromium.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt } from '../../scripts/renderer-build.ts';
import { createInMemoryApi } from '../api/in-memory-api.ts';
import { serveWindow } from '../api/window-server.ts';
import { launchChromium, openPage, screenshot } from '../e2e/support/browser.ts';
import {
  connect,
  gatewayWindowUrl,
  servers,
  startGateway,
  textOf,
  type RunningGateway,
} from '../support/gateway-harness.ts';

let running: RunningGateway;
let client: Client;
let browser: Browser;

beforeAll(async () => {
  await ensureRendererBuilt();
  running = await startGateway(
    { test: servers.testUpstream() },
    {
      // One tool the "policy" refuses, so denials show up in the numbers.
      access: {
        server: () => ({ allow: true }),
        item: (_server, _kind, name) =>
          name === 'log' ? { allow: false, reason: 'Logging is not allowed here.', rule: 'no-log' } : { allow: true },
      },
    },
  );
  client = await connect(running.gateway.endpoint, running.token, { name: 'metrics-test' });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await client?.close().catch(() => {});
  await browser?.close();
  await running?.close();
});

async function call(name: string, args: Record<string, unknown> = {}): Promise<void> {
  await client.callTool({ name, arguments: args }).catch(() => undefined);
}

describe('audit metrics and warnings', () => {
  it('getAuditMetrics counts calls, errors and denials per server and tool, with latency percentiles', async () => {
    for (let i = 0; i < 3; i++)
      expect(textOf(await client.callTool({ name: 'test__echo', arguments: { message: `m${i}` } }))).toBe(`m${i}`);
    await call('test__log', { text: 'refused' });
    await call('test__no-such-tool');

    const metrics = await running.gateway.api.getAuditMetrics();
    expect(metrics.hour.total).toMatchObject({ calls: 5, errors: 1, denials: 1 });
    expect(metrics.day.total.calls).toBe(5);
    const server = metrics.hour.servers.find((s) => s.server === 'test')!;
    const echo = server.tools.find((t) => t.name === 'echo')!.stats;
    expect(echo).toMatchObject({ calls: 3, errors: 0, denials: 0 });
    expect(echo.p50Ms).toBeGreaterThan(0);
    expect(echo.p99Ms).toBeGreaterThanOrEqual(echo.p50Ms!);
    expect(server.tools.find((t) => t.name === 'log')!.stats).toMatchObject({ calls: 1, denials: 1, p50Ms: null });

    const status = await running.gateway.api.getStatus();
    expect(status.audit?.summary).toMatch(/^Last hour: 5 calls, 1 error, 1 denied, p95 [\d.]+ ms$/);
    expect(status.audit?.warnings).toEqual([]);
    expect(status.demo).toEqual({ available: false, active: false });
    await expect(running.gateway.api.startDemo()).rejects.toMatchObject({ code: 'unsupported' });
  });

  it('the Metrics view shows the numbers per server and tool and follows new calls', async () => {
    const { page, problems, close } = await openPage(browser);
    try {
      await page.goto(await gatewayWindowUrl(running.gateway));
      await page.getByRole('button', { name: 'Metrics', exact: true }).click();
      await page.getByRole('heading', { name: 'Metrics' }).waitFor();
      const echoCalls = () => page.locator('[data-tool="test/echo"] td').first().textContent();
      await expect.poll(echoCalls).toBe('3');
      const log = page.locator('[data-tool="test/log"] td');
      expect(await log.nth(2).textContent()).toBe('1'); // denied
      expect(await page.locator('[data-server="test"] td').first().textContent()).toBe('5');
      expect(await page.locator('[data-metrics-total]').textContent()).toMatch(/5 calls, 1 error, 1 denied/);

      await call('test__echo', { message: 'live' });
      await expect.poll(echoCalls, { timeout: 5000 }).toBe('4');
      await page.getByRole('combobox', { name: 'Period' }).selectOption('day');
      await expect.poll(echoCalls).toBe('4');
      await screenshot(page, 'metrics-view');
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('shows audit warnings from the status in the window before anything is dropped', async () => {
    const warning = '13.1 MiB of audit records are waiting for otlp; at 16.0 MiB the oldest will be deleted unshipped.';
    const api = createInMemoryApi();
    const plain = api.getStatus.bind(api);
    api.getStatus = async (input) => ({
      ...(await plain(input)),
      audit: { summary: 'Last hour: 2 calls', warnings: [warning], recordedBeforeAnswer: false },
    });
    const server = await serveWindow(api);
    const { page, problems, close } = await openPage(browser);
    try {
      await page.goto(server.url);
      await page.getByRole('alert').filter({ hasText: warning }).waitFor();
      await page.getByRole('alert').filter({ hasText: warning }).getByRole('button', { name: 'Details' }).click();
      await page.getByRole('heading', { name: 'Metrics' }).waitFor();
      expect(await page.locator('[data-audit-warning]').textContent()).toBe(warning);
      expect(problems).toEqual([]);
    } finally {
      await close();
      await server.close();
    }
  });
});

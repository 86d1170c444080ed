// The Credentials panel in real Chromium, served by a real gateway in org mode: the user enters a
// key the policy asks them for, the server gets it, and the page never shows it back.
import { afterEach, describe, expect, it } from 'vitest';
import { ensureRendererBuilt } from '../../scripts/renderer-build.ts';
import { launchChromium, openPage, screenshot } from '../e2e/support/browser.ts';
import { gatewayWindowUrl, tempDir } from '../support/gateway-harness.ts';
import { callTool, orgGateway, startCredentialOrg } from './support.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

const KEY = 'notes-WINDOW-8d03c1f2';

describe('the Credentials panel', () => {
  it('shows what is missing, takes a key that reaches the server, and clears it', async () => {
    await ensureRendererBuilt();
    const org = await startCredentialOrg(cleanups);
    const gw = await orgGateway(org, await tempDir(), [], cleanups);
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const { page, problems, close } = await openPage(browser);
    cleanups.push(close);

    await page.goto(await gatewayWindowUrl(gw.gateway));
    const row = page.locator('[data-credential="notes:X-Notes-Key"]');
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('Missing');
    expect(await page.locator('[data-credential="linear:X-Api-Key"]').textContent()).toContain(
      'Provided by your organisation',
    );
    // The server the policy denies asks for nothing.
    expect(await page.locator('[data-credential^="hr:"]').count()).toBe(0);

    await row.getByLabel('Notes API key for notes').fill(KEY);
    await row.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => row.textContent()).toContain('Set');
    expect(await row.getByLabel('Notes API key for notes').inputValue()).toBe('');
    expect(await page.content()).not.toContain(KEY);
    await screenshot(page, 'credentials-panel');
    await expect
      .poll(async () => (await callTool(gw, 'notes', 'headers').catch(() => undefined))?.text ?? '', {
        timeout: 10_000,
      })
      .toContain(`Key ${KEY}`);

    await row.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => row.textContent()).toContain('Missing');
    expect(problems).toEqual([]);
  });
});

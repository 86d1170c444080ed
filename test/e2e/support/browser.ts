import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { repoRoot } from '../../../scripts/renderer-build.ts';

export const SCREENSHOT_DIR = path.join(repoRoot, 'test-artifacts', 'screenshots');

export { launchChromium } from '../../support/chromium.ts';

/**
 * A page that records console errors and CSP violations: the window must run under its CSP with
 * none, so each test ends by asserting the list is empty.
 */
export async function openPage(
  browser: Browser,
  options: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {},
) {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    colorScheme: options.colorScheme ?? 'light',
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { page, problems, close: () => context.close() };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await fs.mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}

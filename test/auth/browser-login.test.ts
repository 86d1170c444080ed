import fsp from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthClient } from '../../src-main/core/auth/index.ts';
import { FileSecretStore } from '../../src-main/core/secrets/index.ts';
import { launchChromium } from '../support/chromium.ts';
import { startTestIdp } from '../support/idp.ts';
import type { TestIdp } from '../support/idp.ts';
import { makeTempDir } from './fixtures.ts';

let idp: TestIdp;
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  idp = await startTestIdp();
  dataDir = await makeTempDir();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await idp?.stop();
  if (dataDir) await fsp.rm(dataDir, { recursive: true, force: true });
});

describe('sign-in in a real browser', () => {
  it('bob types his name into the IdP login form and lands on the Gatehouse success page', async () => {
    const page = await browser.newPage();
    const client = createAuthClient({
      issuer: idp.issuer,
      clientId: idp.clientId,
      secretStore: new FileSecretStore({ dataDir }),
      allowInsecureHttp: true,
      loginTimeoutMs: 20_000,
      // What Electron's shell.openExternal does, in Chromium: open the URL, return at once.
      openBrowser: async (url) => {
        void page.goto(url).catch(() => undefined);
      },
    });

    const signedIn = client.login();
    await page.locator('input[name=login]').fill('bob');
    await page.locator('input[name=password]').fill('correct horse');
    await page.locator('button[type=submit]').click();
    const user = await signedIn;

    expect(user).toMatchObject({ sub: 'bob', groups: ['sales'], team: 'gtm' });
    await expect.poll(() => page.url()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/);
    expect(await page.locator('body').innerText()).toContain('Signed in to Gatehouse as bob@example.test');
  });
});

// The window in real Chromium, served by a real gateway in org mode: IT adds a server that needs a
// new sign-in, the banner names it, and its "Sign in again" button signs in again (the IdP's login
// form, filled by the headless browser the gateway opens) and the banner goes.
import { afterEach, describe, expect, it } from 'vitest';
import { ensureRendererBuilt } from '../../scripts/renderer-build.ts';
import { gatewayWindowUrl } from '../support/gateway-harness.ts';
import { callTool } from '../credentials/support.ts';
import { launchChromium, openPage, screenshot } from '../e2e/support/browser.ts';
import { signedInGateway, startResignInOrg } from './support.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

describe('the sign-in-again banner', () => {
  it('names the servers, and its button signs in again so they work', async () => {
    await ensureRendererBuilt();
    const org = await startResignInOrg(cleanups);
    const { gw, browser: idpBrowser } = await signedInGateway(org, cleanups);
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const { page, problems, close } = await openPage(browser);
    cleanups.push(close);

    await page.goto(await gatewayWindowUrl(gw.gateway));
    await page.getByRole('heading', { name: 'Servers' }).waitFor();
    const banner = page.locator('[data-banner="sign-in-again"]');
    expect(await banner.count()).toBe(0);

    // IT publishes the new server while the window is open: the live status event brings the banner.
    await org.publish({ whoami: true });
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.textContent()).toContain(
      'Your organisation added servers that need you to sign in again: whoami.',
    );
    await screenshot(page, 'sign-in-again-banner');

    const signIns = idpBrowser.opened.length;
    await banner.getByRole('button', { name: 'Sign in again' }).click();
    await banner.waitFor({ state: 'detached', timeout: 15_000 });
    expect(idpBrowser.opened.length).toBe(signIns + 1); // the button started a sign-in at the IdP
    expect((await gw.gateway.org!.auth.sessionInfo())?.resources).toContain(org.identity.url);
    const who = JSON.parse((await callTool(gw, 'whoami', 'whoami')).text);
    expect(who.verified.sub).toBe('alice');
    expect(problems).toEqual([]);
  });
});

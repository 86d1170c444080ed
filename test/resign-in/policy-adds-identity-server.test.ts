// IT publishes, mid-session, a server that gets the user's IdP token for a new resource (RFC 8707
// audience). The sign-in has no token for it: the status says which servers need a new sign-in
// (window and tray show it), calls fail with what to do, and after signing in again they work.
import { afterEach, describe, expect, it } from 'vitest';
import { trayMenuModel } from '../../src-main/shell/tray-menu.ts';
import { trayLookOf } from '../../src-main/shell/tray-state.ts';
import { makeAuthClient } from '../auth/fixtures.ts';
import { callTool } from '../credentials/support.ts';
import { TEST_POLICY_RESOURCE } from '../support/org-gateway.ts';
import { signedInGateway, startResignInOrg } from './support.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

const NOT_GRANTED = /The sign-in did not include access to .*Sign in again/;

describe('a policy that adds a server needing a new sign-in', () => {
  it('is reported with the server names, and signing in again makes the calls work', async () => {
    const org = await startResignInOrg(cleanups);
    const { gw, browser } = await signedInGateway(org, cleanups);
    const orgMode = gw.gateway.org!;
    expect(orgMode.status().signInNeeded).toBeUndefined();
    expect((await gw.gateway.api.getStatus()).signInNeeded).toBeUndefined();
    expect((await orgMode.auth.sessionInfo())?.resources).not.toContain(org.identity.url);

    const statusEvents: string[] = [];
    const stop = gw.gateway.api.subscribe((event) => {
      if (event.type === 'changed' && event.topic === 'status') statusEvents.push(event.topic);
    });
    cleanups.push(async () => stop());
    await org.publish({ whoami: true });

    await expect.poll(() => orgMode.status().signInNeeded?.servers, { timeout: 10_000 }).toEqual(['whoami']);
    expect(orgMode.status().signInNeeded?.reason).toBe(
      'Your organisation added servers that need you to sign in again: whoami.',
    );
    await expect.poll(() => statusEvents.length).toBeGreaterThan(0);
    const status = await gw.gateway.api.getStatus();
    expect(status.signInNeeded).toEqual({
      servers: ['whoami'],
      message: 'Your organisation added servers that need you to sign in again: whoami.',
    });
    // The tray says the same and offers the one click (the same API action as the window's button).
    const tray = trayMenuModel({ status, servers: [], startAtLogin: false, startAtLoginSupported: false });
    expect(tray).toContainEqual({
      type: 'label',
      label: '⚠ Your organisation added servers that need you to sign in again: whoami.',
    });
    expect(tray).toContainEqual({ type: 'action', label: 'Sign in again…', action: { kind: 'sign-in' } });

    const failed = await callTool(gw, 'whoami', 'whoami').then(
      (result) => result.text,
      (error: Error) => error.message,
    );
    expect(failed).toMatch(NOT_GRANTED);
    expect(org.identity.rejected).toBe(0); // stopped before anything went upstream
    // The failing server is told once, as what to do, not also as a gateway fault.
    expect(gw.gateway.pool.get('whoami')?.connection.state).toBe('error');
    const failing = await gw.gateway.api.getStatus();
    expect(failing.health).toEqual({ state: 'ok' });
    expect(trayLookOf(failing)).toEqual({
      state: 'signed-in',
      tooltip:
        'Gatehouse: signed in as alice@example.test\nYour organisation added servers that need you to sign in again: whoami.',
    });

    statusEvents.length = 0;
    const opened = browser.opened.length;
    await orgMode.login({ loginHint: 'alice' });
    expect(browser.opened.length).toBeGreaterThan(opened);
    expect(orgMode.status().signInNeeded).toBeUndefined();
    expect((await gw.gateway.api.getStatus()).signInNeeded).toBeUndefined();
    expect((await orgMode.auth.sessionInfo())?.resources).toContain(org.identity.url);
    await expect.poll(() => statusEvents.length).toBeGreaterThan(0); // the window hears it went

    // Right after: the failed server connects at once (no retry back-off) with the new token.
    const who = JSON.parse((await callTool(gw, 'whoami', 'whoami')).text);
    expect(who.verified).toMatchObject({ sub: 'alice', email: 'alice@example.test' });
    expect(who.headers.email).toBe('alice@example.test');
  });

  it('goes when IT removes the server again', async () => {
    const org = await startResignInOrg(cleanups);
    const { gw } = await signedInGateway(org, cleanups);
    const orgMode = gw.gateway.org!;
    await org.publish({ whoami: true });
    await expect.poll(() => orgMode.status().signInNeeded?.servers, { timeout: 10_000 }).toEqual(['whoami']);
    await org.publish({ whoami: false });
    await expect.poll(() => orgMode.status().signInNeeded, { timeout: 10_000 }).toBeUndefined();
  });

  it('goes when the user signs in again in another process (gatehouse login)', async () => {
    const org = await startResignInOrg(cleanups);
    const { gw } = await signedInGateway(org, cleanups);
    const orgMode = gw.gateway.org!;
    await org.publish({ whoami: true });
    await expect.poll(() => orgMode.status().signInNeeded?.servers, { timeout: 10_000 }).toEqual(['whoami']);
    // What `gatehouse login` does: its own auth client on the same secret store, asking for every resource.
    const elsewhere = makeAuthClient(org.idp, gw.dataDir).client;
    await elsewhere.login({ loginHint: 'alice', resources: [TEST_POLICY_RESOURCE, org.identity.url] });
    await expect.poll(() => orgMode.status().signInNeeded, { timeout: 10_000 }).toBeUndefined();
    const who = JSON.parse((await callTool(gw, 'whoami', 'whoami')).text);
    expect(who.verified.sub).toBe('alice');
  });

  it('says nothing to a user the policy does not let use the new server', async () => {
    const org = await startResignInOrg(cleanups);
    const { gw } = await signedInGateway(org, cleanups, 'bob'); // sales: the policy allows eng only
    const orgMode = gw.gateway.org!;
    await org.publish({ whoami: true });
    await expect.poll(() => orgMode.status().policy?.version, { timeout: 10_000 }).toBe('r2');
    expect(orgMode.status().signInNeeded).toBeUndefined();
    expect((await gw.gateway.api.getStatus()).signInNeeded).toBeUndefined();
  });
});

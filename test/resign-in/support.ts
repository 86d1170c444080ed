// An org whose IT publishes, mid-session, a server that gets the user's IdP token for a resource the
// first sign-in did not ask for: the real IdP, the identity-verifying upstream and the reference org
// server, plus a gateway in org mode signed in before that change.
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { type RunningOrgServer } from '../../src-main/org-server/index.ts';
import { headlessBrowser } from '../auth/fixtures.ts';
import { startGateway, tempDir, type RunningGateway } from '../support/gateway-harness.ts';
import { startTestOrgServer, testOrgDeps } from '../support/org-gateway.ts';
import { startIdentityUpstream } from '../support/identity-upstream.ts';
import { startTestIdp, type TestIdp } from '../support/idp.ts';

export type ResignInOrg = {
  idp: TestIdp;
  orgServer: RunningOrgServer;
  identity: Awaited<ReturnType<typeof startIdentityUpstream>>;
  /** IT publishes the next policy version: with `whoami` (identity.accessToken for its own URL) or without. */
  publish(options: { whoami: boolean }): Promise<string>;
};

export async function startResignInOrg(cleanups: (() => Promise<unknown>)[]): Promise<ResignInOrg> {
  const idp = await startTestIdp();
  cleanups.push(() => idp.stop());
  const identity = await startIdentityUpstream({ issuer: idp.issuer, jwksUri: idp.jwksUri });
  cleanups.push(() => identity.close());
  const policyFile = path.join(await tempDir('gatehouse-resign-in-org-'), 'policy.json');
  let revision = 0;
  const publish = async (options: { whoami: boolean }) => {
    revision++;
    const policy = {
      version: 1,
      policyVersion: `r${revision}`,
      issuedAt: new Date().toISOString(),
      contact: 'it-help@example.test',
      servers: options.whoami
        ? {
            whoami: {
              url: identity.url,
              identity: { claimHeaders: { email: 'X-User-Email' }, accessToken: { resource: identity.url } },
            },
          }
        : {},
      rules: [{ id: 'eng', effect: 'allow', when: { groups: ['eng'] }, servers: ['*'] }],
    };
    await fs.writeFile(policyFile, JSON.stringify(policy));
    return policy.policyVersion;
  };
  await publish({ whoami: false });
  const orgServer = await startTestOrgServer(idp, { policyFile });
  cleanups.push(() => orgServer.close());
  return { idp, orgServer, identity, publish };
}

/**
 * A gateway in org mode with `user` signed in under the first policy (no identity server). Its
 * "browser" fills the IdP's login form as that user, so a sign-in started without a hint (the window's
 * "Sign in again") completes too; `browser.opened` lists every sign-in page it was sent to.
 */
export async function signedInGateway(
  org: ResignInOrg,
  cleanups: (() => Promise<unknown>)[],
  user = 'alice',
): Promise<{ gw: RunningGateway; browser: ReturnType<typeof headlessBrowser> }> {
  const dataDir = await tempDir();
  const browser = headlessBrowser({ fill: { login: user, password: 'any' } });
  const gw = await startGateway(
    {},
    {
      dataDir,
      org: testOrgDeps({ idp: org.idp, orgServerUrl: org.orgServer.url, dataDir, openBrowser: browser.openBrowser }),
    },
  );
  cleanups.push(() => gw.close());
  await gw.gateway.org!.login({ loginHint: user });
  await expect.poll(() => gw.gateway.org!.status().policy?.version, { timeout: 10_000 }).toBe('r1');
  return { gw, browser };
}

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createAuthClient } from '../../src-main/core/auth/index.ts';
import type { AuthClient, AuthClientOptions } from '../../src-main/core/auth/index.ts';
import { FileSecretStore } from '../../src-main/core/secrets/index.ts';
import { browseHeadless } from '../support/idp.ts';
import type { HeadlessBrowseOptions, HeadlessBrowseResult, TestIdp } from '../support/idp.ts';

export async function makeTempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'gatehouse-auth-'));
}

/**
 * An `openBrowser` that walks the sign-in pages like a person would, without blocking the caller
 * (a real browser also runs on its own). `pages` collects what each visit ended on.
 */
export function headlessBrowser(options: HeadlessBrowseOptions = {}) {
  const pages: Promise<HeadlessBrowseResult>[] = [];
  const opened: string[] = [];
  return {
    pages,
    opened,
    openBrowser: async (url: string) => {
      opened.push(url);
      const page = browseHeadless(url, options);
      page.catch(() => undefined); // the test awaits it when it cares
      pages.push(page);
    },
  };
}

export function makeAuthClient(
  idp: TestIdp,
  dataDir: string,
  overrides: Partial<AuthClientOptions> = {},
): { client: AuthClient; store: FileSecretStore; browser: ReturnType<typeof headlessBrowser> } {
  const store = new FileSecretStore({ dataDir });
  const browser = headlessBrowser();
  const client = createAuthClient({
    issuer: idp.issuer,
    clientId: idp.clientId,
    secretStore: store,
    openBrowser: browser.openBrowser,
    allowInsecureHttp: true,
    loginTimeoutMs: 15_000,
    ...overrides,
  });
  return { client, store, browser };
}

/** Counts token-endpoint grants by type and revoked grants, from the IdP's own events. */
export function countGrants(idp: TestIdp) {
  const counts = { refresh: 0, code: 0, device: 0, revokedGrants: 0 };
  idp.provider.on('grant.success', (ctx) => {
    const type = String(ctx.oidc.params?.grant_type);
    if (type === 'refresh_token') counts.refresh++;
    else if (type === 'authorization_code') counts.code++;
    else if (type.endsWith('device_code')) counts.device++;
  });
  idp.provider.on('grant.revoked', () => counts.revokedGrants++);
  return counts;
}

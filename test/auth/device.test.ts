import fs from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevicePrompt } from '../../src-main/core/auth/index.ts';
import { browseHeadless, startTestIdp } from '../support/idp.ts';
import type { HeadlessBrowseResult, TestIdp } from '../support/idp.ts';
import { makeAuthClient, makeTempDir } from './fixtures.ts';

let idp: TestIdp;
let dataDir: string | undefined;

beforeAll(async () => {
  idp = await startTestIdp({ deviceFlowInterval: 1 });
});
afterAll(async () => {
  await idp?.stop();
});
afterEach(async () => {
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

describe('device authorization grant (headless machines)', () => {
  it('signs bob in after he confirms the code and types his name on another device', async () => {
    dataDir = await makeTempDir();
    const { client } = makeAuthClient(idp, dataDir);
    let prompt: DevicePrompt | undefined;
    let page: Promise<HeadlessBrowseResult> | undefined;
    const started = Date.now();

    const user = await client.loginWithDeviceCode({
      signal: AbortSignal.timeout(20_000),
      onPrompt: (p) => {
        prompt = p;
        // The person opens the verification page elsewhere; here: the form-filling headless browser.
        page = browseHeadless(p.verificationUriComplete!, { fill: { login: 'bob', password: 'any' } });
      },
    });

    expect(user).toMatchObject({ sub: 'bob', email: 'bob@example.test', groups: ['sales'], team: 'gtm' });
    expect(prompt?.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(prompt?.verificationUri).toBe(`${idp.issuer}/device`);
    expect((await page!).body).toContain('You are signed in');
    expect(Date.now() - started).toBeLessThan(5_000); // 1 s polls, not the 5 s default
    expect(await client.getAccessToken()).toEqual(expect.any(String));
    expect(await client.currentUser()).toMatchObject({ sub: 'bob' });
  });

  it('stops polling with login_cancelled when the caller aborts', async () => {
    dataDir = await makeTempDir();
    const { client } = makeAuthClient(idp, dataDir);
    const controller = new AbortController();
    const result = client.loginWithDeviceCode({ signal: controller.signal, onPrompt: () => undefined });
    setTimeout(() => controller.abort(), 300);
    await expect(result).rejects.toMatchObject({ code: 'login_cancelled' });
    expect(await client.currentUser()).toBeUndefined();
  });

  it('reports device_code_expired when nobody confirms in time', async () => {
    const shortLived = await startTestIdp({ ttl: { deviceCode: 1 } });
    dataDir = await makeTempDir();
    try {
      const { client } = makeAuthClient(shortLived, dataDir);
      const error = await client.loginWithDeviceCode({ onPrompt: () => undefined }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'device_code_expired' });
    } finally {
      await shortLived.stop();
    }
  });
});

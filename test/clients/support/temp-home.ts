import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultDataDir } from '../../../src-main/core/config/index.ts';
import type { ClientConnectionsDeps, HostEnvironment } from '../../../src-main/core/clients/index.ts';

export const LAYOUTS = ['darwin', 'win32', 'linux'] as const;
export type Layout = (typeof LAYOUTS)[number];

/** A fixed bridge launcher, so golden files do not depend on where the checkout lives. */
export const TEST_LAUNCHER = { command: '/opt/gatehouse/node', args: ['/opt/gatehouse/bin/gatehouse.js'] };

/** Deterministic per-client tokens for golden files: `gh_test_<client>`. */
export const fixedTokens: Pick<ClientConnectionsDeps, 'mintToken' | 'tokenOwner' | 'hasToken'> = {
  mintToken: async (clientId) => `gh_test_${clientId}`,
  tokenOwner: async (token) => (token.startsWith('gh_test_') ? token.slice('gh_test_'.length) : undefined),
  hasToken: async () => true,
};

export type TempHome = { home: string; dataDir: string; host: HostEnvironment; close(): Promise<void> };

/**
 * A fresh home dir laid out like macOS, Windows or Linux (the env a real user of that OS has), on
 * whatever OS runs the test, with Gatehouse's data dir where that OS keeps it (so a bridge entry
 * needs no --data-dir and golden files do not depend on the temp path).
 */
export async function tempHome(layout: Layout): Promise<TempHome> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `gatehouse-home-${layout}-`));
  const home = path.join(root, 'home');
  await fs.mkdir(home);
  const env: Record<string, string> =
    layout === 'win32'
      ? {
          USERPROFILE: home,
          APPDATA: path.join(home, 'AppData', 'Roaming'),
          LOCALAPPDATA: path.join(home, 'AppData', 'Local'),
        }
      : { HOME: home };
  return {
    home,
    dataDir: defaultDataDir(env, layout),
    host: { platform: layout, homeDir: home, env },
    close: () => fs.rm(root, { recursive: true, force: true }),
  };
}

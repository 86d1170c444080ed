import fs from 'node:fs';
import path from 'node:path';
import type { BridgeLauncher } from '../clients/index.ts';
import { loadOrgConfig, type OrgConfigResult } from '../policy/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import { createGateway, type DemoHooks, type Gateway } from './create-gateway.ts';

export type UserGatewayOptions = {
  dataDir: string;
  port: number;
  /** An explicit server config file; default `<dataDir>/config.json` when it exists. */
  configFile?: string;
  homeDir: string;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /** The sign-in's tokens (org mode) and the user's tokens for remote servers (both modes). */
  openSecretStore: () => SecretStore;
  openBrowser: (url: string) => Promise<void>;
  fetch?: typeof fetch;
  bridgeLauncher?: BridgeLauncher;
  rendererRoot?: string;
  /** The app's "Try the demo org" switch (src-main/demo/app-demo.ts). */
  demo?: DemoHooks;
  log: (line: string) => void;
};

/**
 * How both hosts (`gatehouse serve` and the Electron app) start the gateway for the person at the
 * machine: their servers, and org mode when IT installed a managed config or they joined an org.
 */
export async function startGatewayForUser(
  options: UserGatewayOptions,
): Promise<{ gateway: Gateway; org: OrgConfigResult }> {
  const defaultConfig = path.join(options.dataDir, 'config.json');
  const configFile = options.configFile ?? (fs.existsSync(defaultConfig) ? defaultConfig : undefined);
  const org = await loadOrgConfig({
    platform: options.platform,
    env: options.env,
    homeDir: options.homeDir,
    dataDir: options.dataDir,
  });
  for (const warning of org.warnings) options.log(`warning: ${warning}`);
  const secretStore = options.openSecretStore();
  const storeWarning = secretStore?.describe().warning;
  if (storeWarning) options.log(`warning: ${storeWarning}`);
  const gateway = await createGateway({
    dataDir: options.dataDir,
    port: options.port,
    ...(configFile && { configFile }),
    // Personal mode too: a user's own remote server may ask for an OAuth sign-in.
    secretStore,
    openBrowser: options.openBrowser,
    ...(org.mode !== 'personal' && {
      org: {
        org: org.config,
        secretStore,
        openBrowser: options.openBrowser,
        ...(options.fetch && { fetch: options.fetch }),
        // Only ever effective for an IdP on this machine (the demo org); remote IdPs must use https.
        allowInsecureHttp: true,
      },
    }),
    orgUrl:
      org.mode === 'personal'
        ? { url: null, managed: false }
        : { url: org.mode === 'user' ? org.source : null, managed: org.mode === 'managed' },
    ...(options.bridgeLauncher && { bridgeLauncher: options.bridgeLauncher }),
    ...(options.rendererRoot && { rendererRoot: options.rendererRoot }),
    ...(options.demo && { demo: options.demo }),
    log: options.log,
  });
  return { gateway, org };
}

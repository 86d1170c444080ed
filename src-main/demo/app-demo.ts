// "Try the demo org" in the app: the demo org (the same as `gatehouse serve --demo`) runs in place
// of the user's own setup, on the same port, behind one API that stays the same object for the
// shell's tray, window and IPC. No Electron here: the shell passes what differs (its executable
// as the servers' launcher, its own gateway start).
import fs from 'node:fs/promises';
import path from 'node:path';
import { apiMethodNames, type ChangeTopic, type GatewayApi, type GatewayEventListener } from '../core/api/index.ts';
import type { DemoHooks, Gateway } from '../core/gateway/index.ts';
import { startDemoOrg, type DemoOrg, type DemoOrgOptions } from './demo-org.ts';

export type AppGatewayOptions = {
  /** Starts the user's own gateway (org or personal mode), with the hooks its API's startDemo/stopDemo call. */
  startOwn(demo: DemoHooks): Promise<Gateway>;
  /** The demo org's folder, port (the app's: AI clients stay connected), launcher and log. */
  demo: Omit<DemoOrgOptions, 'demoHooks' | 'user'>;
  /** The user's data folder: its AI client tokens are copied to the demo, so connected clients keep working. */
  ownDataDir?: string;
};

export type AppGateway = {
  /** The API of whichever gateway runs now; the same object across switches. */
  readonly api: GatewayApi;
  readonly demoActive: boolean;
  close(): Promise<void>;
};

const TOPICS: ChangeTopic[] = ['status', 'servers', 'tools', 'clients', 'settings'];
const CLIENT_TOKENS_FILE = 'client-tokens.json';

export async function startAppGateway(options: AppGatewayOptions): Promise<AppGateway> {
  let own: Gateway | undefined;
  let demo: DemoOrg | undefined;
  // Switches run one at a time; API calls wait for the one under way.
  let switching: Promise<void> = Promise.resolve();
  const listeners = new Set<GatewayEventListener>();
  let unsubscribe = () => {};

  const hooks: DemoHooks = {
    get active() {
      return demo !== undefined;
    },
    start: () => switchTo(true),
    stop: () => switchTo(false),
  };
  const current = (): Gateway => demo?.gateway ?? own!;

  /** Follows the running gateway's events, and tells listeners that everything may have changed. */
  const rebind = () => {
    unsubscribe();
    unsubscribe = current().api.subscribe((event) => {
      for (const listener of listeners) listener(event);
    });
    for (const topic of TOPICS) for (const listener of listeners) listener({ type: 'changed', topic });
  };

  function switchTo(toDemo: boolean): Promise<void> {
    const run = switching.then(async () => {
      if (toDemo === (demo !== undefined)) return;
      if (toDemo) {
        // The port is the user's: their gateway goes first, and comes back if the demo cannot start.
        await own!.close();
        own = undefined;
        try {
          await shareClientTokens(options.ownDataDir, options.demo.dataDir);
          demo = await startDemoOrg({ ...options.demo, demoHooks: hooks });
        } catch (error) {
          own = await options.startOwn(hooks);
          rebind();
          throw error;
        }
      } else {
        await demo!.close();
        demo = undefined;
        own = await options.startOwn(hooks);
      }
      rebind();
    });
    switching = run.catch(() => {});
    return run;
  }

  own = await options.startOwn(hooks);
  const api = Object.fromEntries(
    apiMethodNames.map((method) => [
      method,
      async (input?: unknown) => {
        await switching;
        return (current().api[method] as (input?: unknown) => Promise<unknown>)(input);
      },
    ]),
  ) as Omit<GatewayApi, 'subscribe'> as GatewayApi;
  api.subscribe = (listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  rebind();

  return {
    api,
    get demoActive() {
      return demo !== undefined;
    },
    async close() {
      await switching;
      unsubscribe();
      listeners.clear();
      await demo?.close();
      await own?.close();
    },
  };
}

/** AI clients connected with the user's local token stay connected to the demo on the same port. */
async function shareClientTokens(from: string | undefined, to: string): Promise<void> {
  if (!from) return;
  await fs.mkdir(to, { recursive: true, mode: 0o700 });
  await fs.copyFile(path.join(from, CLIENT_TOKENS_FILE), path.join(to, CLIENT_TOKENS_FILE)).catch((error) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  });
  await fs.chmod(path.join(to, CLIENT_TOKENS_FILE), 0o600).catch(() => {});
}

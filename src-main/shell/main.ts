// The Electron main process: a composition root. It wires the core (createGateway) to Electron's
// paths, safeStorage, browser and network stack, and shows it through a tray and one window.
// It decides nothing itself; every decision lives in the core or in a pure module next to this file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, net, shell } from 'electron';
import { DEFAULT_PORT, defaultDataDir } from '../core/config/paths.ts';
import type { GatewayApi } from '../core/api/contract.ts';
import { startGatewayForUser, tuneV8ForServing } from '../core/gateway/index.ts';
import { startAppGateway, type AppGateway } from '../demo/index.ts';
import { isExternalLinkAllowed } from './app-origin.ts';
import { registerAppScheme, serveWindowFiles } from './app-protocol.ts';
import { Autostart } from './autostart.ts';
import { registerApiIpc } from './ipc.ts';
import { appBridgeLauncher, demoServerLauncher, shellModeFromArgv } from './launch.ts';
import { openSafeStorageSecretStore } from './secret-box.ts';
import { installPermissionRules, installWebContentsRules } from './security.ts';
import { TrayController } from './tray.ts';
import { WindowController } from './window.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const appRoot = path.resolve(here, '..', '..'); // dist-main/shell → the app (or app.asar)

const mode = shellModeFromArgv(process.argv, Boolean(process.defaultApp));
if (mode.kind === 'bridge') void runBridge(mode.args);
else if (mode.kind === 'demo-server') void runDemoServer(mode.server, mode.args);
else void runApp(mode.hidden);

/** `Gatehouse bridge …`: the stdio bridge an AI client started; no tray, no window, no lock. */
async function runBridge(args: string[]): Promise<void> {
  app.disableHardwareAcceleration();
  app.dock?.hide();
  try {
    const { run } = await import('../cli/commands/bridge.ts');
    app.exit(await run(args));
  } catch (error) {
    process.stderr.write(`gatehouse bridge: ${error instanceof Error ? error.message : String(error)}\n`);
    app.exit((error as { exitCode?: number }).exitCode ?? 1);
  }
}

/** `Gatehouse demo-server <name> …`: one of the demo org's stdio MCP servers; no tray, no window, no lock. */
async function runDemoServer(server: string, args: string[]): Promise<void> {
  app.disableHardwareAcceleration();
  app.dock?.hide();
  try {
    const { runDemoServer: run } = await import('../demo/demo-server.ts');
    await run(server, args);
  } catch (error) {
    process.stderr.write(`gatehouse demo-server: ${error instanceof Error ? error.message : String(error)}\n`);
    app.exit(1);
  }
}

async function runApp(launchedHidden: boolean): Promise<void> {
  const dataDir = defaultDataDir();
  // One data folder shared with the CLI; Chromium's own profile goes in a subfolder of it.
  app.setPath('userData', path.join(dataDir, 'window'));
  if (!app.requestSingleInstanceLock()) return app.quit();
  registerAppScheme();
  installWebContentsRules();
  // Closing the window leaves the tray running.
  app.on('window-all-closed', () => {});

  await app.whenReady();
  app.dock?.hide();
  installPermissionRules();
  serveWindowFiles(path.join(appRoot, 'dist-renderer'));
  const log = openLog(path.join(dataDir, 'logs', 'app.log'));

  // Where AI clients that need the stdio bridge (Claude Desktop) start it: this executable.
  const bridgeLauncher = appBridgeLauncher({
    isPackaged: app.isPackaged,
    execPath: process.execPath,
    mainScript: path.join(here, 'main.js'),
    env: process.env,
  });
  let gateway: AppGateway;
  try {
    // The same start as `gatehouse serve`, with Electron's secret store, browser and network; the
    // tray and the window can swap it for the demo org ("Try the demo org") and back.
    gateway = await startAppGateway({
      ownDataDir: dataDir,
      demo: {
        dataDir: path.join(dataDir, 'demo'),
        port: DEFAULT_PORT,
        serverLauncher: demoServerLauncher(bridgeLauncher),
        log,
      },
      startOwn: async (demo) =>
        (
          await startGatewayForUser({
            dataDir,
            port: DEFAULT_PORT,
            homeDir: app.getPath('home'),
            env: process.env,
            platform: process.platform,
            openSecretStore: () => openSafeStorageSecretStore(dataDir),
            openBrowser: async (url: string) => {
              if (!isExternalLinkAllowed(url, { allowLoopbackHttp: true }))
                throw new Error(`Refusing to open ${url} in the browser.`);
              await shell.openExternal(url);
            },
            // net.fetch uses the system proxy and certificate store, as an employee's laptop needs.
            fetch: ((input: string | URL | Request, init?: RequestInit) =>
              net.fetch(input instanceof URL ? input.href : input, init)) as typeof fetch,
            bridgeLauncher,
            demo,
            log,
          })
        ).gateway,
    });
  } catch (error) {
    dialog.showErrorBox('Gatehouse could not start', error instanceof Error ? error.message : String(error));
    return app.exit(1);
  }
  tuneV8ForServing();

  const api: GatewayApi = gateway.api;
  const disposeIpc = registerApiIpc(api, log);
  const windows = new WindowController({ api, preload: path.join(here, 'preload.cjs'), devTools: !app.isPackaged });
  const autostart = new Autostart();
  const tray = new TrayController({
    api,
    iconDir: app.isPackaged ? path.join(process.resourcesPath, 'tray') : path.join(appRoot, 'build', 'tray'),
    autostart,
    openWindow: () => windows.show(),
    quit: () => app.quit(),
    log,
  });
  app.on('second-instance', () => windows.show());
  app.on('activate', () => windows.show());
  if (!autostart.launchedAtLogin(launchedHidden)) windows.show();

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    tray.destroy();
    disposeIpc();
    // Closing the gateway stops every stdio server, so no child process outlives the app.
    void gateway.close().finally(() => app.exit(0));
  });
}

function openLog(file: string): (line: string) => void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const stream = fs.createWriteStream(file, { flags: 'a', mode: 0o600 });
  return (line) => stream.write(`${new Date().toISOString()} ${line}\n`);
}

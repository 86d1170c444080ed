// What the app binary was started for, and how AI clients start the bridge through it. Pure.

/** How client configs start the bridge (the clients module's BridgeLauncher shape). */
export type BridgeLauncher = { command: string; args: string[] };

export type ShellMode = { kind: 'bridge'; args: string[] } | { kind: 'app'; hidden: boolean };

/**
 * `Gatehouse bridge --client cursor …` runs the stdio bridge and exits (that is how Claude Desktop
 * starts it, see electron-builder.yml on why this is not ELECTRON_RUN_AS_NODE); anything else
 * starts the tray app, hidden when launched at login. In development (`electron main.js …`)
 * Electron's own argv has the script path first.
 */
export function shellModeFromArgv(argv: readonly string[], defaultApp: boolean): ShellMode {
  const args = argv.slice(defaultApp ? 2 : 1);
  if (args[0] === 'bridge') return { kind: 'bridge', args: args.slice(1) };
  return { kind: 'app', hidden: args.includes('--hidden') };
}

/**
 * The command AI client configs use to start the bridge. Packaged: the app executable itself,
 * which must be a stable path; an AppImage runs from a new mount point each time, so its own path
 * (`APPIMAGE`) is used. Development: Electron plus the main script.
 */
export function appBridgeLauncher(options: {
  isPackaged: boolean;
  execPath: string;
  mainScript: string;
  env: { APPIMAGE?: string };
}): BridgeLauncher {
  if (!options.isPackaged) return { command: options.execPath, args: [options.mainScript] };
  return { command: options.env.APPIMAGE || options.execPath, args: [] };
}

// What the app binary was started for, and how AI clients start the bridge through it. Pure.

/** How client configs start the bridge (the clients module's BridgeLauncher shape). */
export type BridgeLauncher = { command: string; args: string[] };

export type ShellMode =
  | { kind: 'bridge'; args: string[] }
  | { kind: 'demo-server'; server: string; args: string[] }
  | { kind: 'app'; hidden: boolean };

/**
 * `Gatehouse bridge --client cursor …` runs the stdio bridge and exits (that is how Claude Desktop
 * starts it, see electron-builder.yml on why this is not ELECTRON_RUN_AS_NODE); anything else
 * starts the tray app, hidden when launched at login. In development (`electron main.js …`)
 * Electron's own argv has the script path first.
 */
export function shellModeFromArgv(argv: readonly string[], defaultApp: boolean): ShellMode {
  const args = argv.slice(defaultApp ? 2 : 1);
  if (args[0] === 'bridge') return { kind: 'bridge', args: args.slice(1) };
  // A stdio MCP server of the demo org, started by the app itself (see demoServerLauncher).
  if (args[0] === 'demo-server' && args[1]) return { kind: 'demo-server', server: args[1], args: args.slice(2) };
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

/**
 * How the demo org starts its stdio servers from the app: the same executable as the bridge, with
 * `demo-server <name>`, since a packaged app cannot run them as plain Node.
 */
export function demoServerLauncher(app: BridgeLauncher): (server: string, args: string[]) => BridgeLauncher {
  return (server, args) => ({ command: app.command, args: [...app.args, 'demo-server', server, ...args] });
}

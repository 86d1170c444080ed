import { describe, expect, it } from 'vitest';
import { linuxAutostartEntry, linuxAutostartFile, quoteExecArgument } from '../../src-main/shell/autostart-entry.ts';
import { appBridgeLauncher, demoServerLauncher, shellModeFromArgv } from '../../src-main/shell/launch.ts';
import { restoreBounds } from '../../src-main/shell/window-bounds.ts';
import { mainWindowOptions } from '../../src-main/shell/window-options.ts';

describe('shellModeFromArgv', () => {
  it('runs the bridge for `Gatehouse bridge …`, packaged and in development', () => {
    expect(shellModeFromArgv(['/opt/Gatehouse/gatehouse', 'bridge', '--client', 'claude-desktop'], false)).toEqual({
      kind: 'bridge',
      args: ['--client', 'claude-desktop'],
    });
    expect(shellModeFromArgv(['electron', '/repo/dist-main/shell/main.js', 'bridge'], true)).toEqual({
      kind: 'bridge',
      args: [],
    });
  });

  it('starts the app otherwise, hidden when launched at login', () => {
    expect(shellModeFromArgv(['C:\\Gatehouse.exe', '--hidden'], false)).toEqual({ kind: 'app', hidden: true });
    expect(shellModeFromArgv(['/Applications/Gatehouse.app/Contents/MacOS/Gatehouse'], false)).toEqual({
      kind: 'app',
      hidden: false,
    });
    // The main script's own path is not a command, even if its folder were called bridge.
    expect(shellModeFromArgv(['electron', 'bridge'], true)).toEqual({ kind: 'app', hidden: false });
  });
});

describe('the demo org servers of the app', () => {
  it('start as `<app> demo-server <name> args…`, which the app runs as that server', () => {
    const launch = demoServerLauncher({ command: '/opt/Gatehouse/gatehouse', args: [] });
    const started = launch('filesystem', ['/home/a/.config/gatehouse/demo/sandbox']);
    expect(started).toEqual({
      command: '/opt/Gatehouse/gatehouse',
      args: ['demo-server', 'filesystem', '/home/a/.config/gatehouse/demo/sandbox'],
    });
    expect(shellModeFromArgv([started.command, ...started.args], false)).toEqual({
      kind: 'demo-server',
      server: 'filesystem',
      args: ['/home/a/.config/gatehouse/demo/sandbox'],
    });
    const dev = demoServerLauncher({ command: '/repo/node_modules/electron/dist/electron', args: ['/repo/main.js'] });
    const devArgv = [dev('everything', ['stdio']).command, ...dev('everything', ['stdio']).args];
    expect(shellModeFromArgv(devArgv, true)).toEqual({ kind: 'demo-server', server: 'everything', args: ['stdio'] });
  });
});

describe('appBridgeLauncher', () => {
  it('points clients at the app executable, or at the AppImage file rather than its temporary mount', () => {
    const base = { isPackaged: true, execPath: '/tmp/.mount_GatehoXyz/gatehouse', mainScript: '/x/main.js' };
    expect(appBridgeLauncher({ ...base, env: { APPIMAGE: '/home/a/Apps/Gatehouse.AppImage' } })).toEqual({
      command: '/home/a/Apps/Gatehouse.AppImage',
      args: [],
    });
    expect(appBridgeLauncher({ ...base, execPath: '/opt/Gatehouse/gatehouse', env: {} })).toEqual({
      command: '/opt/Gatehouse/gatehouse',
      args: [],
    });
    expect(
      appBridgeLauncher({ ...base, isPackaged: false, execPath: '/repo/node_modules/electron/dist/electron', env: {} }),
    ).toEqual({
      command: '/repo/node_modules/electron/dist/electron',
      args: ['/x/main.js'],
    });
  });
});

describe('Linux autostart entry', () => {
  it('is written to the XDG autostart folder and starts the app hidden', () => {
    expect(linuxAutostartFile({ HOME: '/home/a' })).toBe('/home/a/.config/autostart/gatehouse.desktop');
    expect(linuxAutostartFile({ HOME: '/home/a', XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/autostart/gatehouse.desktop');
    const entry = linuxAutostartEntry({ name: 'Gatehouse', exec: ['/home/a/My Apps/Gatehouse.AppImage', '--hidden'] });
    expect(entry).toContain('\nExec="/home/a/My Apps/Gatehouse.AppImage" --hidden\n');
    expect(entry.startsWith('[Desktop Entry]\nType=Application\n')).toBe(true);
    expect(entry).toContain('X-GNOME-Autostart-enabled=true');
  });

  it('quotes Exec arguments as the Desktop Entry spec says', () => {
    expect(quoteExecArgument('/opt/gatehouse')).toBe('/opt/gatehouse');
    expect(quoteExecArgument('/a b/$x"`\\')).toBe('"/a b/\\$x\\"\\`\\\\"');
    expect(quoteExecArgument('100%')).toBe('100%%');
    expect(quoteExecArgument('')).toBe('""');
  });
});

describe('the window', () => {
  it('is isolated and sandboxed, without Node, with web security on and only our preload', () => {
    const options = mainWindowOptions({
      preload: '/app/dist-main/shell/preload.cjs',
      bounds: { width: 900, height: 600 },
      dark: false,
      devTools: false,
    });
    expect(options.webPreferences).toMatchObject({
      preload: '/app/dist-main/shell/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
    expect(options.show).toBe(false);
  });

  it('reopens where it was, unless that place is no longer on any screen', () => {
    const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }];
    expect(restoreBounds({ x: 100, y: 80, width: 1000, height: 700 }, screen)).toEqual({
      x: 100,
      y: 80,
      width: 1000,
      height: 700,
    });
    expect(restoreBounds({ x: 3000, y: 80, width: 1000, height: 700 }, screen)).toEqual({ width: 1000, height: 700 });
    expect(restoreBounds({ width: 10, height: 10 }, screen)).toEqual({ width: 380, height: 420 });
    expect(restoreBounds(undefined, screen)).toEqual({ width: 1100, height: 720 });
  });
});

import fs from 'node:fs/promises';
import { app } from 'electron';
import { linuxAutostartEntry, linuxAutostartFile } from './autostart-entry.ts';

/** Start at login: the OS login items on macOS and Windows, an XDG autostart entry on Linux. */
export class Autostart {
  readonly supported = process.platform === 'darwin' || process.platform === 'win32' || process.platform === 'linux';
  private readonly linuxFile = linuxAutostartFile(process.env);
  private readonly exec = [process.env.APPIMAGE || process.execPath, '--hidden'];

  async isEnabled(): Promise<boolean> {
    if (process.platform !== 'linux') return app.getLoginItemSettings({ args: ['--hidden'] }).openAtLogin;
    return fs.access(this.linuxFile).then(
      () => true,
      () => false,
    );
  }

  async setEnabled(enabled: boolean): Promise<void> {
    if (process.platform !== 'linux') {
      // Windows starts us with --hidden; macOS reports wasOpenedAtLogin instead (args are ignored there).
      app.setLoginItemSettings({ openAtLogin: enabled, args: ['--hidden'] });
      return;
    }
    if (!enabled) return fs.rm(this.linuxFile, { force: true });
    await fs.mkdir(this.linuxFile.replace(/[/\\][^/\\]+$/, ''), { recursive: true });
    await fs.writeFile(this.linuxFile, linuxAutostartEntry({ name: 'Gatehouse', exec: this.exec }));
  }

  /** Whether this launch came from the login items (then the window stays closed). */
  launchedAtLogin(hiddenFlag: boolean): boolean {
    return hiddenFlag || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin);
  }
}

import path from 'node:path';

/**
 * Start at login on Linux, where Electron's setLoginItemSettings does nothing: an XDG autostart
 * desktop entry. Pure (text and path only); the shell writes and removes the file.
 */
export function linuxAutostartFile(
  env: { HOME?: string; XDG_CONFIG_HOME?: string },
  fileName = 'gatehouse.desktop',
): string {
  const configHome = env.XDG_CONFIG_HOME || path.join(env.HOME ?? '', '.config');
  return path.join(configHome, 'autostart', fileName);
}

export function linuxAutostartEntry(options: { name: string; exec: string[]; comment?: string }): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    `Name=${options.name}`,
    `Comment=${options.comment ?? 'Start in the tray at login'}`,
    `Exec=${options.exec.map(quoteExecArgument).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/**
 * The Desktop Entry spec: arguments with spaces or reserved characters go in double quotes, and
 * inside quotes `"`, `` ` ``, `$` and `\` are escaped with a backslash; a literal `%` is `%%`.
 */
export function quoteExecArgument(argument: string): string {
  const percent = argument.replace(/%/g, '%%');
  if (percent !== '' && !/[\s"'\\><~|&;$*?#()`]/.test(percent)) return percent;
  return `"${percent.replace(/(["`$\\])/g, '\\$1')}"`;
}

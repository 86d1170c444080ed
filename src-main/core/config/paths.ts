import os from 'node:os';
import path from 'node:path';

/**
 * The port every AI client config embeds. It is fixed on purpose: a port that moved would mean
 * rewriting every client's config file. Below 32768 so it never collides with Linux ephemeral ports.
 */
export const DEFAULT_PORT = 7391;

/** The per-user application data folder of the OS, where tokens, caches and the audit log live. */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const home = env.HOME ?? env.USERPROFILE ?? os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Gatehouse');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Gatehouse');
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'gatehouse');
}

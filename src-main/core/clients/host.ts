import os from 'node:os';

/**
 * The facts about the machine that decide where client configs live. Injected (never read from
 * `process` inside the table) so that tests lay out a macOS, Windows or Linux home in a temp dir
 * on any machine: the platform picks the layout, paths are joined with the running OS's separator.
 */
export type HostEnvironment = {
  platform: 'darwin' | 'win32' | 'linux';
  homeDir: string;
  env: Readonly<Record<string, string | undefined>>;
};

export function hostFromProcess(): HostEnvironment {
  const platform = process.platform === 'darwin' || process.platform === 'win32' ? process.platform : 'linux';
  return { platform, homeDir: os.homedir(), env: process.env };
}

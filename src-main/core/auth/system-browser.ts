import { spawn } from 'node:child_process';

/**
 * Opens a URL in the user's default browser from plain Node (CLI, headless serve). The Electron
 * app uses shell.openExternal instead. Resolves once the opener started; whether a browser really
 * appeared cannot be known, so callers also print the URL.
 */
export function openInSystemBrowser(url: string, platform: NodeJS.Platform = process.platform): Promise<void> {
  if (!/^https?:\/\//.test(url)) return Promise.reject(new Error(`Refusing to open a non-http(s) URL: ${url}`));
  // `start` is a cmd builtin; the empty string is its window title, so the URL is never taken for one.
  const [command, args] =
    platform === 'darwin'
      ? ['open', [url]]
      : platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]];
  return new Promise((resolve, reject) => {
    const child = spawn(command as string, args as string[], { stdio: 'ignore', detached: true, windowsHide: true });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

// The window's origin in Electron: a privileged custom scheme served from the packaged bundle
// (not file://, which grants extra powers, and not the gateway's HTTP port, which would need the
// local token in the renderer). Pure: no electron import, so it is tested directly.

export const APP_SCHEME = 'gatehouse';
export const APP_HOST = 'app';
export const WINDOW_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** True when `url` is a page of the window (for will-navigate and IPC sender checks). */
export function isAppUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // Custom schemes have an opaque origin ("null") in the WHATWG parser: compare the parts.
  return (
    parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === ''
  );
}

/**
 * Whether an IPC message may be answered: it must come from the main frame of a window showing our
 * own page. A frame that navigated elsewhere, an iframe, or a devtools extension is refused.
 */
export function isTrustedSender(sender: { frameUrl: string | undefined | null; isMainFrame: boolean }): boolean {
  return sender.isMainFrame && isAppUrl(sender.frameUrl);
}

/**
 * URLs the app hands to the system browser: https only (the IdP page, docs). The core's sign-in may
 * also open plain http on this machine (a local test IdP); a link in the window may not.
 */
export function isExternalLinkAllowed(url: string, options: { allowLoopbackHttp?: boolean } = {}): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'https:') return true;
  return (
    Boolean(options.allowLoopbackHttp) &&
    parsed.protocol === 'http:' &&
    ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)
  );
}

/**
 * The one permission the window uses: writing to the clipboard ("Copy as JSON"). Everything else
 * (camera, notifications, geolocation, …) is refused, and so is any request from another page.
 */
export function isPermissionAllowed(permission: string, requestingUrl: string | undefined): boolean {
  return permission === 'clipboard-sanitized-write' && isAppUrl(requestingUrl);
}

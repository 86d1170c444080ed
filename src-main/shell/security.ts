import { app, session, shell } from 'electron';
import { isAppUrl, isExternalLinkAllowed, isPermissionAllowed } from './app-origin.ts';

/**
 * App-wide rules for every web page Electron creates: no navigation away from the window, no new
 * windows (https links go to the system browser), no webviews, no permissions but the clipboard.
 */
export function installWebContentsRules(): void {
  app.on('web-contents-created', (_event, contents) => {
    const stayHome = (event: Electron.Event, url: string) => {
      if (!isAppUrl(url)) event.preventDefault();
    };
    contents.on('will-navigate', stayHome);
    contents.on('will-redirect', stayHome);
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isExternalLinkAllowed(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}

/** After `ready`. */
export function installPermissionRules(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(isPermissionAllowed(permission, details.requestingUrl)),
  );
  session.defaultSession.setPermissionCheckHandler((_contents, permission, _origin, details) =>
    isPermissionAllowed(permission, details.requestingUrl),
  );
}

import type { BrowserWindowConstructorOptions } from 'electron';
import { MIN_WINDOW } from './window-bounds.ts';
import type { SavedWindow } from './window-bounds.ts';

/**
 * The window's options in one pure function, so the security-relevant ones are asserted by a test:
 * isolated, sandboxed renderer without Node, web security on, only our preload.
 */
export function mainWindowOptions(options: {
  preload: string;
  bounds: SavedWindow;
  dark: boolean;
  devTools: boolean;
}): BrowserWindowConstructorOptions {
  return {
    ...options.bounds,
    minWidth: MIN_WINDOW.width,
    minHeight: MIN_WINDOW.height,
    title: 'Gatehouse',
    show: false,
    autoHideMenuBar: true,
    backgroundColor: options.dark ? '#14161b' : '#f6f7f9',
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: options.devTools,
    },
  };
}

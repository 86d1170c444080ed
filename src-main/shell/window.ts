import { BrowserWindow, nativeTheme, screen } from 'electron';
import Store from 'electron-store';
import { IPC_EVENT_CHANNEL } from '../core/api/ipc.ts';
import type { GatewayApi } from '../core/api/contract.ts';
import { WINDOW_URL } from './app-origin.ts';
import { restoreBounds } from './window-bounds.ts';
import type { SavedWindow } from './window-bounds.ts';
import { mainWindowOptions } from './window-options.ts';

type WindowState = { window?: SavedWindow };

/**
 * The one window, created on demand and destroyed when closed, so the tray alone costs no renderer
 * process. Only its size and position persist (electron-store, UI state only: never secrets).
 */
export class WindowController {
  private window: BrowserWindow | undefined;
  private readonly store = new Store<WindowState>({ name: 'window-state' });
  private readonly options: { api: GatewayApi; preload: string; devTools: boolean };

  constructor(options: { api: GatewayApi; preload: string; devTools: boolean }) {
    this.options = options;
  }

  show(): void {
    if (this.window) {
      if (this.window.isMinimized()) this.window.restore();
      this.window.show();
      this.window.focus();
      return;
    }
    const workAreas = screen.getAllDisplays().map((display) => display.workArea);
    const window = new BrowserWindow(
      mainWindowOptions({
        preload: this.options.preload,
        bounds: restoreBounds(this.store.get('window'), workAreas),
        dark: nativeTheme.shouldUseDarkColors,
        devTools: this.options.devTools,
      }),
    );
    this.window = window;
    // Live events go to the window only while it exists.
    const stop = this.options.api.subscribe((event) => {
      if (!window.isDestroyed()) window.webContents.send(IPC_EVENT_CHANNEL, event);
    });
    window.once('ready-to-show', () => window.show());
    window.on('close', () => {
      const { x, y, width, height } = window.getNormalBounds();
      this.store.set('window', { x, y, width, height });
    });
    window.on('closed', () => {
      stop();
      this.window = undefined;
    });
    void window.loadURL(WINDOW_URL);
  }

  close(): void {
    this.window?.close();
  }
}

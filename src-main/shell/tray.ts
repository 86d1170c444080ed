import path from 'node:path';
import { Menu, nativeImage, Tray } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';
import type { ConnectionInfo, GatewayApi, ServerInfo, Status } from '../core/api/contract.ts';
import type { Autostart } from './autostart.ts';
import { trayIconFile } from './tray-icons.ts';
import { trayMenuModel } from './tray-menu.ts';
import type { TrayAction, TrayMenuItem } from './tray-menu.ts';
import { trayLookOf } from './tray-state.ts';

type TrayDeps = {
  api: GatewayApi;
  iconDir: string;
  autostart: Autostart;
  openWindow(): void;
  quit(): void;
  log(line: string): void;
};

/** The tray icon and menu: rebuilt from the API whenever status or servers change. */
export class TrayController {
  private readonly tray: Tray;
  private readonly deps: TrayDeps;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** The menu's "last hour" line changes without a status event. */
  private readonly minuteTimer: NodeJS.Timeout;
  private readonly stop: () => void;

  constructor(deps: TrayDeps) {
    this.deps = deps;
    this.tray = new Tray(this.icon(trayLookOf(undefined).state));
    if (process.platform === 'win32') this.tray.on('click', () => deps.openWindow());
    this.stop = deps.api.subscribe((event) => {
      if (event.type === 'changed' && (event.topic === 'status' || event.topic === 'servers')) this.scheduleRefresh();
    });
    this.minuteTimer = setInterval(() => void this.refresh(), 60_000);
    void this.refresh();
  }

  destroy(): void {
    this.stop();
    clearTimeout(this.refreshTimer);
    clearInterval(this.minuteTimer);
    this.tray.destroy();
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), 150);
  }

  private async refresh(): Promise<void> {
    let status: Status | undefined;
    let servers: ServerInfo[] | undefined;
    let connections: ConnectionInfo[] | undefined;
    let failure: string | undefined;
    try {
      [status, servers, connections] = await Promise.all([
        this.deps.api.getStatus(),
        this.deps.api.listServers(),
        this.deps.api.listConnections(),
      ]);
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    const look = trayLookOf(status, failure);
    this.tray.setImage(this.icon(look.state));
    this.tray.setToolTip(look.tooltip);
    const model = trayMenuModel({
      status,
      servers,
      connections,
      startAtLogin: await this.deps.autostart.isEnabled(),
      startAtLoginSupported: this.deps.autostart.supported,
    });
    this.tray.setContextMenu(Menu.buildFromTemplate(model.map((item) => this.toTemplate(item))));
  }

  private icon(state: Parameters<typeof trayIconFile>[0]) {
    return nativeImage.createFromPath(path.join(this.deps.iconDir, trayIconFile(state, process.platform)));
  }

  private toTemplate(item: TrayMenuItem): MenuItemConstructorOptions {
    switch (item.type) {
      case 'separator':
        return { type: 'separator' };
      case 'label':
        return { label: item.label, enabled: false };
      case 'submenu':
        return { label: item.label, submenu: item.items.map((child) => this.toTemplate(child)) };
      case 'action':
        return {
          label: item.label,
          enabled: item.enabled ?? true,
          ...(item.checked !== undefined && { type: 'checkbox' as const, checked: item.checked }),
          ...(item.toolTip && { toolTip: item.toolTip }),
          click: () => void this.run(item.action),
        };
    }
  }

  private async run(action: TrayAction): Promise<void> {
    const { api } = this.deps;
    try {
      switch (action.kind) {
        case 'open-window':
          return this.deps.openWindow();
        case 'set-server-enabled':
          await api.setServerEnabled({ name: action.server, enabled: action.enabled });
          break;
        case 'connect-server':
          // The core opens the browser; the Connections view shows the link if none opened.
          await api.connectServer({ server: action.server });
          break;
        case 'sign-in':
          await api.login();
          break;
        case 'sign-out':
          await api.logout();
          break;
        case 'set-paused':
          await api.setPaused({ paused: action.paused });
          break;
        case 'set-start-at-login':
          await this.deps.autostart.setEnabled(action.enabled);
          break;
        case 'start-demo':
          await api.startDemo();
          break;
        case 'stop-demo':
          await api.stopDemo();
          break;
        case 'quit':
          return this.deps.quit();
      }
    } catch (error) {
      this.deps.log(`Tray action ${action.kind} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    await this.refresh();
  }
}

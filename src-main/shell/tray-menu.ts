import type { ConnectionInfo, ServerInfo, Status } from '../core/api/contract.ts';

/** What a menu item does; the shell maps each to one API call or app function. */
export type TrayAction =
  | { kind: 'open-window' }
  | { kind: 'set-server-enabled'; server: string; enabled: boolean }
  | { kind: 'connect-server'; server: string }
  | { kind: 'sign-in' }
  | { kind: 'sign-out' }
  | { kind: 'set-paused'; paused: boolean }
  | { kind: 'set-start-at-login'; enabled: boolean }
  | { kind: 'start-demo' }
  | { kind: 'stop-demo' }
  | { kind: 'quit' };

export type TrayMenuItem =
  | { type: 'separator' }
  | { type: 'label'; label: string }
  | { type: 'action'; label: string; action: TrayAction; enabled?: boolean; checked?: boolean; toolTip?: string }
  | { type: 'submenu'; label: string; items: TrayMenuItem[] };

export type TrayMenuInput = {
  status: Status | undefined;
  servers: ServerInfo[] | undefined;
  /** Remote servers that use a sign-in (OAuth); those waiting for it get a Connect item. */
  connections?: ConnectionInfo[] | undefined;
  startAtLogin: boolean;
  startAtLoginSupported: boolean;
};

/** The tray menu as data, so its content and order are tested without Electron. */
export function trayMenuModel(input: TrayMenuInput): TrayMenuItem[] {
  const { status, servers } = input;
  const items: TrayMenuItem[] = [
    { type: 'action', label: 'Open Gatehouse', action: { kind: 'open-window' } },
    { type: 'separator' },
  ];

  if (status?.mode === 'org') {
    items.push(
      status.user
        ? { type: 'label', label: `Signed in as ${status.user.email}` }
        : { type: 'label', label: `Signed out${status.org ? ` of ${status.org.name}` : ''}` },
      status.user
        ? { type: 'action', label: 'Sign out', action: { kind: 'sign-out' } }
        : { type: 'action', label: 'Sign in…', action: { kind: 'sign-in' } },
    );
    // The policy added servers the sign-in has no tokens for: the core's line, then one click.
    if (status.user && status.signInNeeded) {
      items.push(
        { type: 'label', label: `⚠ ${menuText(status.signInNeeded.message)}` },
        { type: 'action', label: 'Sign in again…', action: { kind: 'sign-in' } },
      );
    }
    items.push({ type: 'separator' });
  }

  if (status?.demo?.active) {
    items.push(
      { type: 'label', label: 'Trying the demo org' },
      { type: 'action', label: 'Leave the demo org', action: { kind: 'stop-demo' } },
      { type: 'separator' },
    );
  } else if (status?.demo?.available && status.mode === 'personal') {
    items.push({ type: 'action', label: 'Try the demo org', action: { kind: 'start-demo' } }, { type: 'separator' });
  }

  // The core writes these lines (src-main/core/audit/summary.ts); the tray only shows them.
  if (status?.audit) {
    items.push({ type: 'label', label: status.audit.summary });
    for (const warning of status.audit.warnings) items.push({ type: 'label', label: `⚠ ${menuText(warning)}` });
    items.push({ type: 'separator' });
  }

  if (servers && servers.length > 0) {
    items.push({
      type: 'submenu',
      label: 'Servers',
      items: servers.map((server) => ({
        type: 'action',
        label: serverLabel(server),
        checked: server.enabled,
        enabled: !server.lockedByPolicy,
        ...(server.lockedByPolicy && { toolTip: server.lockReason ?? 'Locked by policy' }),
        action: { kind: 'set-server-enabled', server: server.name, enabled: !server.enabled },
      })),
    });
  } else if (servers) {
    items.push({ type: 'label', label: 'No servers configured' });
  }
  for (const connection of input.connections ?? []) {
    if (connection.state !== 'needs-consent' && connection.state !== 'error') continue;
    items.push({
      type: 'action',
      label: `Connect ${connection.server}…`,
      action: { kind: 'connect-server', server: connection.server },
    });
  }

  if (status) {
    items.push({
      type: 'action',
      label: 'Pause tool calls',
      checked: status.paused,
      action: { kind: 'set-paused', paused: !status.paused },
    });
  }
  if (input.startAtLoginSupported) {
    items.push({
      type: 'action',
      label: 'Start at login',
      checked: input.startAtLogin,
      action: { kind: 'set-start-at-login', enabled: !input.startAtLogin },
    });
  }
  items.push({ type: 'separator' }, { type: 'action', label: 'Quit Gatehouse', action: { kind: 'quit' } });
  return items;
}

/** Menus show one line: long warnings are cut (the window shows them whole). */
function menuText(text: string): string {
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

function serverLabel(server: ServerInfo): string {
  if (server.lockedByPolicy) return `${server.name} (locked by policy)`;
  if (server.state === 'error') return `${server.name} (error)`;
  return server.name;
}

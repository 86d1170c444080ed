// The tray offers "Connect <server>…" for each remote server waiting for the user's sign-in.
import { describe, expect, it } from 'vitest';
import type { ConnectionInfo, Status } from '../../src-main/core/api/index.ts';
import { trayMenuModel, type TrayMenuItem } from '../../src-main/shell/tray-menu.ts';

const status: Status = {
  version: '0.1.0',
  endpoint: 'http://127.0.0.1:7391/mcp',
  port: 7391,
  mode: 'personal',
  org: null,
  user: null,
  policy: { version: null, ageSeconds: null, state: 'none' },
  health: { state: 'ok' },
  paused: false,
};

const connection = (server: string, state: ConnectionInfo['state']): ConnectionInfo => ({
  server,
  state,
  user: state === 'connected' ? 'ada@example.test' : null,
  authorizationServer: null,
  expiresAt: null,
  connectedAt: null,
  lastRefreshAt: null,
});

describe('tray connect items', () => {
  it('lists servers waiting for a sign-in (or failing one), not connected ones', () => {
    const menu = trayMenuModel({
      status,
      servers: [],
      connections: [
        connection('linear', 'connected'),
        connection('sentry', 'needs-consent'),
        connection('jira', 'error'),
      ],
      startAtLogin: false,
      startAtLoginSupported: false,
    });
    const actions = menu.flatMap((item: TrayMenuItem) => (item.type === 'action' ? [item] : []));
    expect(actions.filter((a) => a.action.kind === 'connect-server')).toEqual([
      { type: 'action', label: 'Connect sentry…', action: { kind: 'connect-server', server: 'sentry' } },
      { type: 'action', label: 'Connect jira…', action: { kind: 'connect-server', server: 'jira' } },
    ]);
  });
});

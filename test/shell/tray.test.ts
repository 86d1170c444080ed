import { describe, expect, it } from 'vitest';
import type { ServerInfo, Status } from '../../src-main/core/api/index.ts';
import { trayIconFile } from '../../src-main/shell/tray-icons.ts';
import { trayMenuModel } from '../../src-main/shell/tray-menu.ts';
import type { TrayMenuItem } from '../../src-main/shell/tray-menu.ts';
import { trayLookOf } from '../../src-main/shell/tray-state.ts';

const signedIn: Status = {
  version: '0.1.0',
  endpoint: 'http://127.0.0.1:7391/mcp',
  port: 7391,
  mode: 'org',
  org: { name: 'Acme' },
  user: { email: 'alice@acme.example', name: 'Alice', groups: [], roles: [] },
  policy: { version: '7', ageSeconds: 60, state: 'ok' },
  health: { state: 'ok' },
  paused: false,
};

const servers: ServerInfo[] = [
  { name: 'memory', transport: 'stdio', enabled: true, state: 'ready', lockedByPolicy: false, toolCount: 9 },
  {
    name: 'github',
    transport: 'http',
    enabled: true,
    state: 'ready',
    lockedByPolicy: true,
    lockReason: 'Required by IT',
    toolCount: 3,
  },
  { name: 'jira', transport: 'sse', enabled: false, state: 'disabled', lockedByPolicy: false, toolCount: null },
];

describe('trayLookOf', () => {
  it.each<[string, Status | undefined, string]>([
    ['signed in', signedIn, 'signed-in'],
    ['signed out', { ...signedIn, user: null }, 'signed-out'],
    [
      'personal mode',
      {
        ...signedIn,
        mode: 'personal',
        org: null,
        user: null,
        policy: { version: null, ageSeconds: null, state: 'none' },
      },
      'personal',
    ],
    ['stale policy', { ...signedIn, policy: { version: '7', ageSeconds: 90_000, state: 'stale' } }, 'policy-stale'],
    ['paused', { ...signedIn, paused: true }, 'paused'],
    ['gateway error', { ...signedIn, health: { state: 'error', message: 'Port 7391 is in use' } }, 'error'],
    ['degraded', { ...signedIn, health: { state: 'degraded' } }, 'error'],
    ['no answer', undefined, 'error'],
  ])('%s', (_name, status, state) => {
    expect(trayLookOf(status).state).toBe(state);
  });

  it('puts an error before everything else and says what it is', () => {
    const look = trayLookOf({
      ...signedIn,
      user: null,
      paused: true,
      health: { state: 'error', message: 'Port 7391 is in use' },
    });
    expect(look).toEqual({ state: 'error', tooltip: 'Gatehouse: Port 7391 is in use' });
    expect(trayLookOf(undefined, 'connection refused').tooltip).toContain('connection refused');
  });
});

describe('trayMenuModel', () => {
  const labels = (items: TrayMenuItem[]) => items.map((i) => (i.type === 'separator' ? '---' : i.label));

  it('lists the account, servers with toggles, pause, start at login and quit', () => {
    const menu = trayMenuModel({ status: signedIn, servers, startAtLogin: true, startAtLoginSupported: true });
    expect(labels(menu)).toEqual([
      'Open Gatehouse',
      '---',
      'Signed in as alice@acme.example',
      'Sign out',
      '---',
      'Servers',
      'Pause tool calls',
      'Start at login',
      '---',
      'Quit Gatehouse',
    ]);
    const submenu = menu.find((i) => i.type === 'submenu')!;
    expect(submenu.type === 'submenu' && submenu.items).toEqual([
      expect.objectContaining({
        label: 'memory',
        checked: true,
        enabled: true,
        action: { kind: 'set-server-enabled', server: 'memory', enabled: false },
      }),
      expect.objectContaining({
        label: 'github (locked by policy)',
        checked: true,
        enabled: false,
        toolTip: 'Required by IT',
      }),
      expect.objectContaining({
        label: 'jira',
        checked: false,
        action: { kind: 'set-server-enabled', server: 'jira', enabled: true },
      }),
    ]);
    expect(menu.find((i) => i.type === 'action' && i.label === 'Start at login')).toMatchObject({
      checked: true,
      action: { enabled: false },
    });
  });

  it('offers sign in when signed out, no account section in personal mode, and resume when paused', () => {
    const out = trayMenuModel({
      status: { ...signedIn, user: null, paused: true },
      servers: [],
      startAtLogin: false,
      startAtLoginSupported: false,
    });
    expect(labels(out)).toEqual([
      'Open Gatehouse',
      '---',
      'Signed out of Acme',
      'Sign in…',
      '---',
      'No servers configured',
      'Pause tool calls',
      '---',
      'Quit Gatehouse',
    ]);
    expect(out.find((i) => i.type === 'action' && i.label === 'Pause tool calls')).toMatchObject({
      checked: true,
      action: { kind: 'set-paused', paused: false },
    });
    const personal = trayMenuModel({
      status: { ...signedIn, mode: 'personal', user: null },
      servers: undefined,
      startAtLogin: false,
      startAtLoginSupported: true,
    });
    expect(labels(personal)).not.toContain('Sign in…');
  });
});

describe('the tray menu: audit summary, audit warnings and the demo org', () => {
  const labels = (items: TrayMenuItem[]) => items.map((i) => (i.type === 'separator' ? '---' : i.label));
  const warning = `${'12.0 MiB of audit records are waiting for otlp; '.repeat(3)}at 16 MiB the oldest will be deleted unshipped.`;

  it("shows the core's summary line and each warning, cut to one menu line, and the warning in the tooltip", () => {
    const status: Status = {
      ...signedIn,
      audit: { summary: 'Last hour: 42 calls, 1 error, p95 120 ms', warnings: [warning], recordedBeforeAnswer: false },
    };
    const menu = trayMenuModel({ status, servers: [], startAtLogin: false, startAtLoginSupported: false });
    const shown = labels(menu);
    expect(shown).toContain('Last hour: 42 calls, 1 error, p95 120 ms');
    const line = shown.find((l) => l.startsWith('⚠ '))!;
    expect(line.length).toBeLessThanOrEqual(102);
    expect(line.endsWith('…')).toBe(true);
    expect(trayLookOf(status).tooltip).toContain(warning);
  });

  it('offers the demo org in personal mode where the host runs it, and a way back while it runs', () => {
    const personal: Status = {
      ...signedIn,
      mode: 'personal',
      org: null,
      user: null,
      demo: { available: true, active: false },
    };
    const offer = trayMenuModel({ status: personal, servers: [], startAtLogin: false, startAtLoginSupported: false });
    expect(offer.find((i) => i.type === 'action' && i.label === 'Try the demo org')).toMatchObject({
      action: { kind: 'start-demo' },
    });
    const running = trayMenuModel({
      status: { ...signedIn, demo: { available: true, active: true } },
      servers: [],
      startAtLogin: false,
      startAtLoginSupported: false,
    });
    expect(labels(running)).toContain('Trying the demo org');
    expect(running.find((i) => i.type === 'action' && i.label === 'Leave the demo org')).toMatchObject({
      action: { kind: 'stop-demo' },
    });
    const org = trayMenuModel({
      status: { ...signedIn, demo: { available: true, active: false } },
      servers: [],
      startAtLogin: false,
      startAtLoginSupported: false,
    });
    expect(labels(org)).not.toContain('Try the demo org');
  });
});

describe('trayIconFile', () => {
  it('uses a template image in the macOS menu bar for the normal states only', () => {
    expect(trayIconFile('signed-in', 'darwin')).toBe('trayTemplate.png');
    expect(trayIconFile('error', 'darwin')).toBe('tray-error.png');
    expect(trayIconFile('signed-in', 'win32')).toBe('tray-signed-in.png');
  });
});

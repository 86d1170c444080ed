import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientConnections, CLIENTS } from '../../src-main/core/clients/index.ts';
import { fixedTokens, LAYOUTS, tempHome, TEST_LAUNCHER, type Layout, type TempHome } from './support/temp-home.ts';

/** Where each client's user config is, relative to the home dir (from docs/clients.md). */
const EXPECTED: Record<string, Record<Layout, string>> = {
  'claude-desktop': {
    darwin: 'Library/Application Support/Claude/claude_desktop_config.json',
    win32: 'AppData/Roaming/Claude/claude_desktop_config.json',
    linux: '.config/Claude/claude_desktop_config.json',
  },
  'claude-code': { darwin: '.claude.json', win32: '.claude.json', linux: '.claude.json' },
  cursor: { darwin: '.cursor/mcp.json', win32: '.cursor/mcp.json', linux: '.cursor/mcp.json' },
  vscode: {
    darwin: 'Library/Application Support/Code/User/mcp.json',
    win32: 'AppData/Roaming/Code/User/mcp.json',
    linux: '.config/Code/User/mcp.json',
  },
  windsurf: {
    darwin: '.codeium/windsurf/mcp_config.json',
    win32: '.codeium/windsurf/mcp_config.json',
    linux: '.codeium/windsurf/mcp_config.json',
  },
  zed: {
    darwin: '.config/zed/settings.json',
    win32: 'AppData/Roaming/Zed/settings.json',
    linux: '.config/zed/settings.json',
  },
  cline: {
    darwin: '.cline/data/settings/cline_mcp_settings.json',
    win32: '.cline/data/settings/cline_mcp_settings.json',
    linux: '.cline/data/settings/cline_mcp_settings.json',
  },
  continue: { darwin: '.continue/config.yaml', win32: '.continue/config.yaml', linux: '.continue/config.yaml' },
  gemini: { darwin: '.gemini/settings.json', win32: '.gemini/settings.json', linux: '.gemini/settings.json' },
  codex: { darwin: '.codex/config.toml', win32: '.codex/config.toml', linux: '.codex/config.toml' },
  goose: {
    darwin: '.config/goose/config.yaml',
    win32: 'AppData/Roaming/Block/goose/config/config.yaml',
    linux: '.config/goose/config.yaml',
  },
  lmstudio: { darwin: '.lmstudio/mcp.json', win32: '.lmstudio/mcp.json', linux: '.lmstudio/mcp.json' },
  kiro: { darwin: '.kiro/settings/mcp.json', win32: '.kiro/settings/mcp.json', linux: '.kiro/settings/mcp.json' },
};

let home: TempHome | undefined;
afterEach(async () => {
  await home?.close();
  home = undefined;
});

function connections(h: TempHome): ClientConnections {
  return new ClientConnections({ host: h.host, dataDir: h.dataDir, ...fixedTokens, bridgeLauncher: TEST_LAUNCHER });
}

describe.each(LAYOUTS)('%s layout', (layout) => {
  it('puts every client config where that client reads it, and nobody looks installed in an empty home', async () => {
    home = await tempHome(layout);
    expect(Object.keys(EXPECTED).sort()).toEqual(CLIENTS.map((c) => c.id).sort());
    const statuses = await connections(home).list();
    for (const status of statuses) {
      expect(path.relative(home.home, status.file).split(path.sep).join('/'), status.id).toBe(
        EXPECTED[status.id]![layout],
      );
      expect(status.state, status.id).toBe('not-installed');
    }
  });

  it('detects an installed client by its config folder', async () => {
    home = await tempHome(layout);
    await fs.mkdir(path.join(home.home, '.cursor'));
    await fs.mkdir(path.dirname(path.join(home.home, EXPECTED.goose![layout])), { recursive: true });
    const byId = Object.fromEntries((await connections(home).list()).map((s) => [s.id, s]));
    expect(byId.cursor).toMatchObject({ installed: true, state: 'not-connected' });
    expect(byId.goose).toMatchObject({ installed: true, state: 'not-connected' });
    expect(byId.vscode).toMatchObject({ installed: false, state: 'not-installed' });
  });

  it("writes Cline's legacy VS Code store when only that exists", async () => {
    home = await tempHome(layout);
    const userDir = path.dirname(path.join(home.home, EXPECTED.vscode![layout]));
    const legacy = path.join(userDir, 'globalStorage', 'saoudrizwan.claude-dev');
    await fs.mkdir(legacy, { recursive: true });
    const status = await connections(home).status('cline');
    expect(status).toMatchObject({ installed: true, file: path.join(legacy, 'settings', 'cline_mcp_settings.json') });
    await fs.mkdir(path.join(home.home, '.cline'));
    expect((await connections(home).status('cline')).file).toBe(path.join(home.home, EXPECTED.cline![layout]));
  });

  it("uses LM Studio's ~/.cache/lm-studio home only when ~/.lmstudio is absent", async () => {
    home = await tempHome(layout);
    await fs.mkdir(path.join(home.home, '.cache', 'lm-studio'), { recursive: true });
    expect((await connections(home).status('lmstudio')).file).toBe(
      path.join(home.home, '.cache', 'lm-studio', 'mcp.json'),
    );
  });
});

describe('environment overrides', () => {
  it('honours CODEX_HOME, CLAUDE_CONFIG_DIR and XDG_CONFIG_HOME', async () => {
    home = await tempHome('linux');
    const env = {
      ...home.host.env,
      CODEX_HOME: path.join(home.home, 'codex-here'),
      CLAUDE_CONFIG_DIR: path.join(home.home, 'claude-here'),
      XDG_CONFIG_HOME: path.join(home.home, 'xdg'),
    };
    const c = new ClientConnections({
      host: { ...home.host, env },
      dataDir: home.dataDir,
      ...fixedTokens,
      bridgeLauncher: TEST_LAUNCHER,
    });
    expect((await c.status('codex')).file).toBe(path.join(home.home, 'codex-here', 'config.toml'));
    expect((await c.status('claude-code')).file).toBe(path.join(home.home, 'claude-here', '.claude.json'));
    expect((await c.status('zed')).file).toBe(path.join(home.home, 'xdg', 'zed', 'settings.json'));
    expect((await c.status('goose')).file).toBe(path.join(home.home, 'xdg', 'goose', 'config.yaml'));
  });

  it('prefers the Windows MSIX Claude Desktop folder over %APPDATA% when the package exists', async () => {
    home = await tempHome('win32');
    const pkg = path.join(home.home, 'AppData', 'Local', 'Packages', 'Claude_pzs8sxrjxfjjc');
    await fs.mkdir(pkg, { recursive: true });
    await fs.mkdir(path.join(home.home, 'AppData', 'Roaming', 'Claude'), { recursive: true });
    const status = await connections(home).status('claude-desktop');
    expect(status.file).toBe(path.join(pkg, 'LocalCache', 'Roaming', 'Claude', 'claude_desktop_config.json'));
    expect(status.installed).toBe(true);
  });
});

import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { HostEnvironment } from './host.ts';
import type { EntryLocation, JsonObject } from './formats/config-format.ts';

/**
 * Every AI client Gatehouse can connect, in one table: where its user-level config lives on each
 * OS, the file format, where the servers go, the exact entry shape, how it reloads. Facts and
 * sources: docs/clients.md. Only user-level files are listed: project files (`.mcp.json`,
 * `.cursor/mcp.json`, ...) get committed to git and must never receive a token.
 */
type ConfigFormat = 'json-strict' | 'jsonc' | 'yaml' | 'toml';

/** What an entry points at. `token` is set for HTTP entries only: a bridge reads its own. */
export type EntryTarget = { url: string; token: string; bridge: { command: string; args: string[] } };

export type ClientDefinition = {
  id: string;
  displayName: string;
  format: ConfigFormat;
  /** Where the servers collection is; `name` is filled in per entry. */
  container: readonly string[];
  shape: EntryLocation['shape'];
  /** Stdio clients get the bridge: the file then holds no secret at all. */
  transport: 'http' | 'bridge';
  /** Config file candidates in order of preference; each with the folder whose existence means "installed". */
  locations(host: HostEnvironment): Promise<ConfigLocation[]> | ConfigLocation[];
  buildEntry(name: string, target: EntryTarget): JsonObject;
  /** Where the `Authorization: Bearer …` value sits inside an HTTP entry. */
  authorizationPath?: readonly string[];
  reloadHint: string;
};

type ConfigLocation = { file: string; installedWhen: string };

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

function appData(host: HostEnvironment): string {
  return host.env.APPDATA || path.join(host.homeDir, 'AppData', 'Roaming');
}

function xdgConfig(host: HostEnvironment): string {
  return host.env.XDG_CONFIG_HOME || path.join(host.homeDir, '.config');
}

/** The per-user settings folder of an Electron/VS Code-style app (`Code`, `Cursor`, ...). */
function appSupport(host: HostEnvironment, app: string): string {
  if (host.platform === 'darwin') return path.join(host.homeDir, 'Library', 'Application Support', app);
  if (host.platform === 'win32') return path.join(appData(host), app);
  return path.join(xdgConfig(host), app);
}

/** Same folder on every OS, under the home dir (`%USERPROFILE%` on Windows). */
function inHome(folder: string, ...file: string[]) {
  return (host: HostEnvironment): ConfigLocation[] => [
    { file: path.join(host.homeDir, folder, ...file), installedWhen: path.join(host.homeDir, folder) },
  ];
}

async function claudeDesktopLocations(host: HostEnvironment): Promise<ConfigLocation[]> {
  const file = 'claude_desktop_config.json';
  if (host.platform !== 'win32') {
    const dir = host.platform === 'darwin' ? appSupport(host, 'Claude') : path.join(xdgConfig(host), 'Claude');
    return [{ file: path.join(dir, file), installedWhen: dir }];
  }
  // The MSIX build (the default download since early 2026) reads only its virtualized folder; the
  // publisher hash in the package name is not hard-coded. It wins over %APPDATA% when both exist.
  const packages = path.join(host.env.LOCALAPPDATA || path.join(host.homeDir, 'AppData', 'Local'), 'Packages');
  const msix = (await readdir(packages).catch(() => [] as string[])).filter((name) => /^Claude_/.test(name)).sort();
  return [
    ...msix.map((name) => ({
      file: path.join(packages, name, 'LocalCache', 'Roaming', 'Claude', file),
      installedWhen: path.join(packages, name),
    })),
    { file: path.join(appData(host), 'Claude', file), installedWhen: path.join(appData(host), 'Claude') },
  ];
}

const httpEntry = (_name: string, { url, token }: EntryTarget): JsonObject => ({ url, headers: auth(token) });
const bridgeEntry = (_name: string, { bridge }: EntryTarget): JsonObject => ({
  command: bridge.command,
  args: bridge.args,
});

export const CLIENTS: readonly ClientDefinition[] = [
  {
    id: 'claude-desktop',
    displayName: 'Claude Desktop',
    format: 'json-strict',
    container: ['mcpServers'],
    shape: 'map',
    transport: 'bridge', // the file accepts stdio servers only
    locations: claudeDesktopLocations,
    buildEntry: bridgeEntry,
    reloadHint: 'Quit Claude Desktop completely (tray or menu: Quit, not just closing the window) and open it again.',
  },
  {
    id: 'claude-code',
    displayName: 'Claude Code',
    format: 'json-strict',
    container: ['mcpServers'],
    shape: 'map',
    transport: 'http',
    locations: (host) => {
      const dir = host.env.CLAUDE_CONFIG_DIR || host.homeDir;
      return [
        {
          file: path.join(dir, '.claude.json'),
          installedWhen: host.env.CLAUDE_CONFIG_DIR || path.join(host.homeDir, '.claude'),
        },
      ];
    },
    buildEntry: (_name, { url, token }) => ({ type: 'http', url, headers: auth(token) }),
    reloadHint: 'Start a new Claude Code session; /mcp shows the connection.',
  },
  {
    id: 'cursor',
    displayName: 'Cursor',
    format: 'jsonc',
    container: ['mcpServers'],
    shape: 'map',
    transport: 'http',
    locations: inHome('.cursor', 'mcp.json'),
    buildEntry: httpEntry,
    reloadHint:
      'Cursor picks the change up in Settings > MCP; if the tools do not appear, toggle the server or run "Developer: Reload Window".',
  },
  {
    id: 'vscode',
    displayName: 'VS Code',
    format: 'jsonc',
    container: ['servers'],
    shape: 'map',
    transport: 'http',
    locations: (host) => [
      { file: path.join(appSupport(host, 'Code'), 'User', 'mcp.json'), installedWhen: appSupport(host, 'Code') },
    ],
    buildEntry: (_name, { url, token }) => ({ type: 'http', url, headers: auth(token) }),
    reloadHint:
      'In VS Code, start the server from the MCP view (or "MCP: List Servers" > Start) and accept the trust prompt.',
  },
  {
    id: 'windsurf',
    displayName: 'Windsurf',
    format: 'jsonc',
    container: ['mcpServers'],
    shape: 'map',
    transport: 'http',
    locations: inHome(path.join('.codeium', 'windsurf'), 'mcp_config.json'),
    buildEntry: (_name, { url, token }) => ({ serverUrl: url, headers: auth(token) }),
    reloadHint: 'Press Refresh in the Cascade MCP panel.',
  },
  {
    id: 'zed',
    displayName: 'Zed',
    format: 'jsonc',
    container: ['context_servers'],
    shape: 'map',
    transport: 'http',
    locations: (host) => {
      const dir =
        host.platform === 'win32'
          ? path.join(appData(host), 'Zed')
          : host.platform === 'darwin'
            ? path.join(host.homeDir, '.config', 'zed')
            : path.join(xdgConfig(host), 'zed');
      return [{ file: path.join(dir, 'settings.json'), installedWhen: dir }];
    },
    buildEntry: httpEntry,
    reloadHint: 'Zed reloads its settings by itself (HTTP servers need Zed from late 2025 or newer).',
  },
  {
    id: 'cline',
    displayName: 'Cline',
    format: 'jsonc',
    container: ['mcpServers'],
    shape: 'map',
    transport: 'http',
    locations: (host) => {
      const clineDir = host.env.CLINE_DIR || path.join(host.homeDir, '.cline');
      const legacy = path.join(appSupport(host, 'Code'), 'User', 'globalStorage', 'saoudrizwan.claude-dev');
      return [
        { file: path.join(clineDir, 'data', 'settings', 'cline_mcp_settings.json'), installedWhen: clineDir },
        { file: path.join(legacy, 'settings', 'cline_mcp_settings.json'), installedWhen: legacy },
      ];
    },
    // Without `type`, Cline reads a url entry as SSE; the spelling must be exactly this.
    buildEntry: (_name, { url, token }) => ({ type: 'streamableHttp', url, headers: auth(token) }),
    reloadHint: 'Cline watches this file and reconnects by itself.',
  },
  {
    id: 'continue',
    displayName: 'Continue',
    format: 'yaml',
    container: ['mcpServers'],
    shape: 'named-list',
    transport: 'http',
    locations: inHome('.continue', 'config.yaml'),
    buildEntry: (name, { url, token }) => ({
      name,
      type: 'streamable-http',
      url,
      requestOptions: { headers: auth(token) },
    }),
    authorizationPath: ['requestOptions', 'headers', 'Authorization'],
    reloadHint: 'Continue reloads config.yaml on save; MCP tools work in Agent mode.',
  },
  {
    id: 'gemini',
    displayName: 'Gemini CLI',
    format: 'jsonc',
    container: ['mcpServers'],
    shape: 'map',
    transport: 'http',
    locations: inHome('.gemini', 'settings.json'),
    // `httpUrl` is Streamable HTTP; `url` would mean SSE to Gemini CLI.
    buildEntry: (_name, { url, token }) => ({ httpUrl: url, headers: auth(token) }),
    reloadHint: 'Restart Gemini CLI (or run /mcp refresh).',
  },
  {
    id: 'codex',
    displayName: 'Codex',
    format: 'toml',
    container: ['mcp_servers'],
    shape: 'map',
    transport: 'http',
    locations: (host) => {
      const dir = host.env.CODEX_HOME || path.join(host.homeDir, '.codex');
      return [{ file: path.join(dir, 'config.toml'), installedWhen: dir }];
    },
    buildEntry: (_name, { url, token }) => ({ url, http_headers: auth(token) }),
    authorizationPath: ['http_headers', 'Authorization'],
    reloadHint: 'Restart Codex; /mcp lists the servers.',
  },
  {
    id: 'goose',
    displayName: 'Goose',
    format: 'yaml',
    container: ['extensions'],
    shape: 'map',
    transport: 'http',
    locations: (host) => {
      const dir =
        host.platform === 'win32'
          ? path.join(appData(host), 'Block', 'goose', 'config')
          : path.join(host.platform === 'darwin' ? path.join(host.homeDir, '.config') : xdgConfig(host), 'goose');
      return [{ file: path.join(dir, 'config.yaml'), installedWhen: dir }];
    },
    buildEntry: (name, { url, token }) => ({
      enabled: true,
      type: 'streamable_http',
      name,
      uri: url,
      headers: auth(token),
      envs: {},
      env_keys: [],
      description: 'Gatehouse: the MCP servers your organisation allows',
      timeout: 300,
    }),
    reloadHint: 'Start a new Goose session (or restart Goose Desktop).',
  },
  {
    id: 'lmstudio',
    displayName: 'LM Studio',
    format: 'jsonc',
    container: ['mcpServers'],
    shape: 'map',
    transport: 'http',
    locations: (host) => [
      ...inHome('.lmstudio', 'mcp.json')(host),
      ...inHome(path.join('.cache', 'lm-studio'), 'mcp.json')(host),
    ],
    buildEntry: httpEntry,
    reloadHint: 'Open LM Studio > Program > Install > Edit mcp.json and save once if the tools do not appear.',
  },
  {
    id: 'kiro',
    displayName: 'Kiro',
    format: 'jsonc',
    container: ['mcpServers'],
    shape: 'map',
    transport: 'http',
    locations: (host) => [
      {
        file: path.join(host.homeDir, '.kiro', 'settings', 'mcp.json'),
        installedWhen: path.join(host.homeDir, '.kiro'),
      },
    ],
    buildEntry: httpEntry,
    reloadHint: 'Kiro reconnects when the file is saved.',
  },
];

export function findClient(id: string): ClientDefinition | undefined {
  return CLIENTS.find((client) => client.id === id);
}

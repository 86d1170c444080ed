import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientConfigError, ClientConnections, localTokenDeps } from '../../src-main/core/clients/index.ts';
import { tempHome, TEST_LAUNCHER, type TempHome } from './support/temp-home.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
const BIN = path.join(ROOT, 'bin', 'gatehouse.js');

let home: TempHome | undefined;
afterEach(async () => {
  await home?.close();
  home = undefined;
});

async function setUp(layout: 'darwin' | 'win32' | 'linux' = 'linux') {
  home = await tempHome(layout);
  const connections = new ClientConnections({
    host: home.host,
    dataDir: home.dataDir,
    ...localTokenDeps(home.dataDir),
    bridgeLauncher: TEST_LAUNCHER,
  });
  return { home, connections };
}

async function write(file: string, text: string): Promise<Buffer> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text);
  return fs.readFile(file);
}

describe('a file Gatehouse cannot read safely is never touched', () => {
  it.each([
    [
      'cursor',
      '.cursor/mcp.json',
      '{\n  "mcpServers": {\n    "a": { "command": "x" \n  }\n}\n',
      /line 5.*'}'|',' was expected|closing/,
    ],
    [
      'claude-desktop',
      '.config/Claude/claude_desktop_config.json',
      '{\n  // a note\n  "mcpServers": {}\n}\n',
      /a comment, which Claude Desktop does not accept/,
    ],
    ['claude-code', '.claude.json', '{\n  "mcpServers": {},\n}\n', /trailing comma, which Claude Code does not accept/],
    ['goose', '.config/goose/config.yaml', 'extensions:\n  dev:\n    enabled: true\n   bad: [\n', /line \d+/],
    [
      'continue',
      '.continue/config.yaml',
      'mcpServers:\n  - name: a\n  - name: a\nkey: 1\nkey: 2\n',
      /Map keys must be unique|line/,
    ],
    ['codex', '.codex/config.toml', 'model = "o3"\n[mcp_servers.fs\ncommand = "x"\n', /line 2/],
  ])('%s: refuses with the file and the reason, bytes unchanged', async (client, relative, text, reason) => {
    const { home, connections } = await setUp();
    const file = path.join(home.home, relative);
    const before = await write(file, text);
    const error = await connections.connect(client).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientConfigError);
    expect((error as ClientConfigError).code).toBe('unparseable');
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(reason);
    expect((error as Error).message).toMatch(/did not change it/);
    expect((await fs.readFile(file)).equals(before)).toBe(true);
    expect(await fs.readdir(path.dirname(file))).toEqual([path.basename(file)]); // no temp or lock file left
    const status = await connections.status(client);
    expect(status.problems.join(' ')).toContain('is not valid');
  });

  it('refuses a TOML layout it cannot edit without touching other bytes', async () => {
    const { home, connections } = await setUp();
    const file = path.join(home.home, '.codex', 'config.toml');
    const before = await write(file, 'mcp_servers = { fs = { command = "npx" } }\n');
    await expect(connections.connect('codex')).rejects.toMatchObject({ code: 'unsupported-layout' });
    expect((await fs.readFile(file)).equals(before)).toBe(true);
  });
});

describe('creating, permissions, links', () => {
  it('creates missing folders and a 0600 file for a token; disconnect removes both again', async () => {
    const { home, connections } = await setUp('win32');
    const result = await connections.connect('goose');
    const file = path.join(home.home, 'AppData', 'Roaming', 'Block', 'goose', 'config', 'config.yaml');
    expect(result.file).toBe(file);
    expect(result.warnings.join(' ')).toMatch(/does not look installed/);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(file, 'utf8')).toMatch(/Authorization: Bearer gh_/);
    await connections.disconnect('goose');
    await expect(fs.access(path.join(home.home, 'AppData', 'Roaming', 'Block'))).rejects.toThrow();
  });

  it('writes no token and keeps 0644 for the bridged Claude Desktop entry', async () => {
    const { connections } = await setUp('darwin');
    const { file } = await connections.connect('claude-desktop');
    const text = await fs.readFile(file, 'utf8');
    expect(text).not.toMatch(/gh_|Bearer|token/i);
    expect(JSON.parse(text).mcpServers.gatehouse).toEqual({
      command: TEST_LAUNCHER.command,
      args: [...TEST_LAUNCHER.args, 'bridge', '--client', 'claude-desktop'],
    });
    expect((await fs.stat(file)).mode & 0o777).toBe(0o644);
  });

  it("keeps an existing file's mode and warns when others can read the token", async () => {
    const { home, connections } = await setUp();
    const file = path.join(home.home, '.cursor', 'mcp.json');
    await write(file, '{}\n');
    await fs.chmod(file, 0o640);
    const result = await connections.connect('cursor');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o640);
    expect(result.warnings.join(' ')).toMatch(/readable by other users \(mode 640\)/);
  });

  it('warns when the file is inside a git work tree (a dotfiles repo)', async () => {
    const { home, connections } = await setUp();
    await fs.mkdir(path.join(home.home, '.git'));
    const result = await connections.connect('kiro');
    expect(result.warnings.join(' ')).toMatch(/inside the git work tree/);
  });

  it('writes through a symlinked config and leaves the link a link', async () => {
    const { home, connections } = await setUp();
    const real = path.join(home.home, 'dotfiles', 'cursor-mcp.json');
    const before = await write(real, '{\n  "mcpServers": {}\n}\n');
    await fs.mkdir(path.join(home.home, '.cursor'));
    const link = path.join(home.home, '.cursor', 'mcp.json');
    await fs.symlink(real, link);
    await connections.connect('cursor');
    expect((await fs.lstat(link)).isSymbolicLink()).toBe(true);
    expect(await fs.readFile(real, 'utf8')).toContain('"gatehouse"');
    await connections.disconnect('cursor');
    expect((await fs.lstat(link)).isSymbolicLink()).toBe(true);
    expect((await fs.readFile(real)).equals(before)).toBe(true);
  });

  it('backs up the original bytes in the data dir before the first change', async () => {
    const { home, connections } = await setUp();
    const file = path.join(home.home, '.gemini', 'settings.json');
    const before = await write(file, '{ "theme": "GitHub" }\n');
    const result = await connections.connect('gemini');
    expect(result.backup!.startsWith(home.dataDir)).toBe(true);
    expect((await fs.readFile(result.backup!)).equals(before)).toBe(true);
    expect((await fs.stat(result.backup!)).mode & 0o777).toBe(0o600);
  });
});

describe('dry run', () => {
  it('shows a unified diff with the token hidden and writes nothing', async () => {
    const { home, connections } = await setUp();
    const file = path.join(home.home, '.cursor', 'mcp.json');
    const before = await write(file, '{\n  "mcpServers": {\n    "a": { "command": "x" }\n  }\n}\n');
    const result = await connections.connect('cursor', { dryRun: true });
    expect(result.diff).toBe(
      [
        `--- ${file}`,
        `+++ ${file}`,
        '@@ -1,5 +1,11 @@',
        ' {',
        '   "mcpServers": {',
        '-    "a": { "command": "x" }',
        '+    "a": { "command": "x" },',
        '+    "gatehouse": {',
        '+      "url": "http://127.0.0.1:7391/mcp",',
        '+      "headers": {',
        '+        "Authorization": "Bearer <new token>"',
        '+      }',
        '+    }',
        '   }',
        ' }',
        '',
      ].join('\n'),
    );
    expect((await fs.readFile(file)).equals(before)).toBe(true);
    await expect(fs.access(home.dataDir)).rejects.toThrow(); // no token minted, no record
    await connections.connect('cursor');
    const undo = await connections.disconnect('cursor', { dryRun: true });
    expect(undo.action).toBe('restored');
    expect(undo.diff).toContain('-        "Authorization": "Bearer <token>"');
    expect(undo.diff).not.toMatch(/gh_/);
    expect(await fs.readFile(file, 'utf8')).toContain('"gatehouse"');
  });
});

describe('concurrent writers', () => {
  it('keeps every entry when one process connects many entries at once', async () => {
    const { home, connections } = await setUp();
    const file = path.join(home.home, '.cursor', 'mcp.json');
    await write(file, '{\n  "mcpServers": {}\n}\n');
    const servers = ['github', 'memory', 'files', 'search', 'jira'];
    await Promise.all([
      connections.connect('cursor'),
      ...servers.map((server) => connections.connect('cursor', { server })),
    ]);
    const written = JSON.parse(await fs.readFile(file, 'utf8')).mcpServers;
    expect(Object.keys(written).sort()).toEqual(['gatehouse', ...servers.map((s) => `gatehouse-${s}`)].sort());
    expect(written['gatehouse-jira'].url).toBe('http://127.0.0.1:7391/servers/jira/mcp');
  });

  it('keeps both entries when two gatehouse processes connect at the same moment', async () => {
    const { home } = await setUp();
    const file = path.join(home.home, '.cursor', 'mcp.json');
    await write(file, '{\n  "mcpServers": {}\n}\n');
    const env = { ...process.env, HOME: home.home, XDG_CONFIG_HOME: '' };
    const run = (server: string) =>
      promisify(execFile)(NODE, [BIN, 'clients', 'connect', 'cursor', '--server', server, '--data-dir', home.dataDir], {
        env,
      });
    await Promise.all([run('one'), run('two'), run('three')]);
    const written = JSON.parse(await fs.readFile(file, 'utf8')).mcpServers;
    expect(Object.keys(written).sort()).toEqual(['gatehouse-one', 'gatehouse-three', 'gatehouse-two']);
    expect(await fs.readdir(path.dirname(file))).toEqual(['mcp.json']);
  });
});

describe('unchanged entries and ownership', () => {
  it('connecting twice changes nothing the second time', async () => {
    const { connections } = await setUp();
    expect((await connections.connect('zed')).changed).toBe(true);
    const second = await connections.connect('zed');
    expect(second.changed).toBe(false);
    expect(second.diff).toBe('');
  });

  it('replaces a gatehouse entry it finds, and disconnect puts that entry back', async () => {
    const { home, connections } = await setUp();
    const file = path.join(home.home, '.kiro', 'settings', 'mcp.json');
    await write(
      file,
      '{\n  "mcpServers": {\n    "gatehouse": { "url": "http://127.0.0.1:1/mcp" },\n    "x": {}\n  }\n}\n',
    );
    await connections.connect('kiro');
    expect((await connections.status('kiro')).state).toBe('connected');
    const result = await connections.disconnect('kiro');
    expect(result.action).toBe('restored');
    expect(await fs.readFile(file, 'utf8')).toContain('http://127.0.0.1:1/mcp'); // the original, as it was
  });

  it('removes our entry from both Cline stores on disconnect', async () => {
    const { home, connections } = await setUp();
    const legacy = path.join(
      home.home,
      '.config',
      'Code',
      'User',
      'globalStorage',
      'saoudrizwan.claude-dev',
      'settings',
      'cline_mcp_settings.json',
    );
    await connections.connect('cline'); // nothing installed: the current store
    const newStore = path.join(home.home, '.cline', 'data', 'settings', 'cline_mcp_settings.json');
    expect(JSON.parse(await fs.readFile(newStore, 'utf8')).mcpServers.gatehouse.type).toBe('streamableHttp');
    // Cline's migration copied our entry into the legacy store as well.
    await write(legacy, await fs.readFile(newStore, 'utf8'));
    const result = await connections.disconnect('cline');
    expect(result.files.sort()).toEqual([legacy, newStore].sort());
    expect(JSON.parse(await fs.readFile(legacy, 'utf8')).mcpServers).toEqual({});
  });

  it('rejects an unknown client with the list of known ones', async () => {
    const { connections } = await setUp();
    await expect(connections.connect('notepad')).rejects.toThrow(
      /Unknown client 'notepad'. Known clients: claude-desktop, /,
    );
  });
});

import fs from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { DEFAULT_PORT, defaultDataDir } from '../config/index.ts';
import { CLIENTS, findClient } from './client-table.ts';
import { defaultBridgeLauncher } from './bridge-launcher.ts';
import { ConnectionRecords, sha256 } from './connection-record.ts';
import {
  editConfig,
  editorFor,
  enclosingGitRepo,
  exists,
  missingDirs,
  parseConfig,
  readConfigFile,
  writablePath,
} from './config-file.ts';
import { ClientConfigError } from './errors.ts';
import { isObject, readContainer, readEntry } from './formats/config-format.ts';
import { unifiedDiff } from './unified-diff.ts';
import { withFileLock } from './file-lock.ts';
import type { BridgeLauncher } from './bridge-launcher.ts';
import type { ClientDefinition, EntryTarget } from './client-table.ts';
import type { ConnectionRecord } from './connection-record.ts';
import type { ConfigFormatEditor, EntryLocation, JsonObject, JsonValue } from './formats/config-format.ts';
import type { HostEnvironment } from './host.ts';

export type ClientConnectionsDeps = {
  host: HostEnvironment;
  /** Gatehouse's data dir: tokens, connection records, backups. */
  dataDir: string;
  port?: number;
  /** The token of one client, created on first use (`LocalTokenStore.getOrCreate`). */
  mintToken(clientId: string): Promise<string>;
  /** Which client a token belongs to, undefined if revoked or unknown (for drift). */
  tokenOwner?(token: string): Promise<string | undefined>;
  /** Whether a client still has a token (a bridge reads it at run time; for drift). */
  hasToken?(clientId: string): Promise<boolean>;
  bridgeLauncher?: BridgeLauncher;
};

type ClientState = 'not-installed' | 'not-connected' | 'connected' | 'drifted';

export type ClientStatus = {
  id: string;
  displayName: string;
  entryName: string;
  installed: boolean;
  state: ClientState;
  file: string;
  transport: ClientDefinition['transport'];
  /** Why the state is `drifted` (or what stops reading the file); empty otherwise. */
  problems: string[];
  reloadHint: string;
  connectedAt?: string;
};

export type EntryOptions = { server?: string; dryRun?: boolean };

export type ConnectResult = {
  id: string;
  file: string;
  changed: boolean;
  dryRun: boolean;
  /** Unified diff of the change; tokens appear as `<token>`. */
  diff: string;
  warnings: string[];
  reloadHint: string;
  backup?: string;
};

export type DisconnectResult = {
  id: string;
  files: string[];
  /** `restored`: the original bytes are back; `removed`: only our entry was taken out. */
  action: 'restored' | 'removed' | 'nothing-to-do';
  dryRun: boolean;
  diff: string;
  reloadHint: string;
};

const ENTRY_NAME = 'gatehouse';
const WRITE_ATTEMPTS = 3;

/**
 * Connects AI clients to the gateway by writing one `gatehouse` entry into each client's own user
 * config file, and undoes it. Safe by construction: only our entry's bytes change (the format
 * editors prove it), writes are atomic and locked, the original is backed up first, a file that
 * does not parse is never touched.
 */
export class ClientConnections {
  private readonly deps: ClientConnectionsDeps;
  private readonly records: ConnectionRecords;
  private launcher: BridgeLauncher | undefined;

  constructor(deps: ClientConnectionsDeps) {
    this.deps = deps;
    this.records = new ConnectionRecords(deps.dataDir);
    this.launcher = deps.bridgeLauncher;
  }

  get port(): number {
    return this.deps.port ?? DEFAULT_PORT;
  }

  async list(): Promise<ClientStatus[]> {
    return Promise.all(CLIENTS.map((client) => this.status(client.id)));
  }

  async connect(clientId: string, options: EntryOptions = {}): Promise<ConnectResult> {
    const client = this.client(clientId);
    const entryName = entryNameFor(options.server);
    const location = locationOf(client, entryName);
    const editor = editorFor(client);
    const { file, installed, installedWhen } = await this.target(client, entryName);
    const warnings = installed
      ? []
      : [
          `${client.displayName} does not look installed (no ${installedWhen}); Gatehouse writes its config anyway, ready for when it is.`,
        ];

    if (options.dryRun) {
      const content = await readConfigFile(file);
      const parsed = parseConfig(editor, client, file, content.text);
      const token =
        client.transport === 'http'
          ? ((await this.ownTokenIn(client, readEntry(parsed, location))) ?? '<new token>')
          : '';
      const after = editConfig(
        editor,
        client,
        file,
        content.text,
        location,
        client.buildEntry(entryName, this.entryTarget(client, options.server, token)),
      );
      return {
        id: client.id,
        file,
        changed: after !== content.text,
        dryRun: true,
        diff: redact(diffOf(file, content, after), token),
        warnings,
        reloadHint: client.reloadHint,
      };
    }

    // Refuse a broken file before anything happens (no token minted, no folder, no lock file).
    parseConfig(editor, client, file, (await readConfigFile(file)).text);
    // A bridged client needs a token too: the bridge reads it from the data dir at every start.
    const minted = await this.deps.mintToken(client.id);
    const token = client.transport === 'http' ? minted : '';
    const entry = client.buildEntry(entryName, this.entryTarget(client, options.server, token));
    const createdDirs = await missingDirs(file);
    await fs.mkdir(path.dirname(file), { recursive: true });
    try {
      return await withFileLock(file, async () => {
        for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt += 1) {
          const content = await readConfigFile(file);
          const parsed = parseConfig(editor, client, file, content.text);
          const after = editConfig(editor, client, file, content.text, location, entry);
          const result = {
            id: client.id,
            file,
            dryRun: false,
            diff: redact(diffOf(file, content, after), token),
            warnings,
            reloadHint: client.reloadHint,
          };
          if (after === content.text) {
            await this.recordUnchanged(client, entryName, file, content.bytes);
            return { ...result, changed: false };
          }
          const record = await this.records.load(client.id, entryName);
          const backup = content.bytes ? await this.records.backup(client.id, file, content.bytes) : undefined;
          const next = nextRecord(record, {
            client,
            entryName,
            file,
            bytes: content.bytes,
            backup,
            createdDirs,
            createdContainer: readContainer(parsed, location) === undefined,
          });
          // The client may have rewritten its file while we computed: then start over from its bytes.
          if (!sameBytes((await readConfigFile(file)).bytes, content.bytes)) continue;
          const bytes = Buffer.from(content.bom + after, 'utf8');
          await replaceFile(file, bytes, token ? 0o600 : 0o644);
          await this.records.save({ ...next, written: { sha256: sha256(bytes)!, at: new Date().toISOString() } });
          warnings.push(...(await securityWarnings(file, token)));
          return { ...result, changed: true, ...(backup ? { backup } : {}) };
        }
        throw new ClientConfigError(
          'changed-while-writing',
          `${client.displayName} kept rewriting ${file} while Gatehouse tried to add its entry. Quit ${client.displayName} and connect again.`,
          { file },
        );
      });
    } catch (error) {
      await removeEmptyDirs(createdDirs);
      throw error;
    }
  }

  async disconnect(clientId: string, options: EntryOptions = {}): Promise<DisconnectResult> {
    const client = this.client(clientId);
    const entryName = entryNameFor(options.server);
    const location = locationOf(client, entryName);
    const editor = editorFor(client);
    const record = await this.records.load(client.id, entryName);
    // Our entry may also sit in another candidate file (Cline copies entries from its legacy store).
    const candidates = await Promise.all((await client.locations(this.deps.host)).map((l) => writablePath(l.file)));
    const files = [...new Set([...(record ? [record.file] : []), ...candidates])];
    const done: { file: string; action: 'restored' | 'removed'; diff: string }[] = [];
    for (const file of files) {
      if (!(await exists(file))) continue;
      let createdDirs: string[] = [];
      const step = async () => {
        const content = await readConfigFile(file);
        if (!content.bytes) return;
        const parsed = tryParse(editor, content.text);
        const token = parsed ? bearerIn(client, readEntry(parsed, location)) : undefined;
        if (record && record.file === file && record.restorable && sha256(content.bytes) === record.written.sha256) {
          const original = record.original.existed ? await this.originalBytes(record) : undefined;
          const diff = diffOf(file, content, original === undefined ? undefined : splitBomText(original));
          done.push({ file, action: 'restored', diff: redact(diff, token) });
          if (options.dryRun) return;
          if (original) await replaceFile(file, original);
          else {
            await fs.rm(file, { force: true });
            createdDirs = record.original.createdDirs;
          }
          return;
        }
        if (readEntry(parseConfig(editor, client, file, content.text), location) === undefined) return;
        const dropEmptyContainer = record?.file === file && record.createdContainer;
        const after = editConfig(editor, client, file, content.text, location, undefined, { dropEmptyContainer });
        done.push({ file, action: 'removed', diff: redact(diffOf(file, content, after), token) });
        if (!options.dryRun) await replaceFile(file, Buffer.from(content.bom + after, 'utf8'));
      };
      await (options.dryRun ? step() : withFileLock(file, step));
      await removeEmptyDirs(createdDirs); // after the lock file is gone, or the folder is not empty
    }
    if (!options.dryRun) await this.records.delete(client.id, entryName);
    const action =
      done.length === 0 ? 'nothing-to-do' : done.every((d) => d.action === 'restored') ? 'restored' : 'removed';
    return {
      id: client.id,
      files: done.map((d) => d.file),
      action,
      dryRun: Boolean(options.dryRun),
      diff: done.map((d) => d.diff).join(''),
      reloadHint: client.reloadHint,
    };
  }

  async status(clientId: string, options: { server?: string } = {}): Promise<ClientStatus> {
    const client = this.client(clientId);
    const entryName = entryNameFor(options.server);
    const location = locationOf(client, entryName);
    const record = await this.records.load(client.id, entryName);
    const { file, installed } = await this.target(client, entryName);
    const base = {
      id: client.id,
      displayName: client.displayName,
      entryName,
      installed,
      file,
      transport: client.transport,
      reloadHint: client.reloadHint,
      ...(record ? { connectedAt: record.connectedAt } : {}),
    };
    const absent = (problems: string[]): ClientStatus => ({
      ...base,
      state: record ? 'drifted' : installed ? 'not-connected' : 'not-installed',
      problems,
    });
    const content = await readConfigFile(file);
    if (!content.bytes) return absent(record ? [`${file} no longer exists`] : []);
    let parsed: JsonObject;
    try {
      parsed = parseConfig(editorFor(client), client, file, content.text);
    } catch (error) {
      return absent([(error as Error).message]);
    }
    const entry = readEntry(parsed, location);
    if (entry === undefined) return absent(record ? [`the "${entryName}" entry was removed from ${file}`] : []);
    const problems = await this.drift(client, entryName, options.server, entry);
    return { ...base, state: problems.length > 0 ? 'drifted' : 'connected', problems };
  }

  private client(clientId: string): ClientDefinition {
    const client = findClient(clientId);
    if (!client)
      throw new ClientConfigError(
        'unknown-client',
        `Unknown client '${clientId}'. Known clients: ${CLIENTS.map((c) => c.id).join(', ')}.`,
      );
    return client;
  }

  /** The file we write: where we wrote before, else the first installed candidate, else the first. */
  private async target(
    client: ClientDefinition,
    entryName: string,
  ): Promise<{ file: string; installed: boolean; installedWhen: string }> {
    const locations = await client.locations(this.deps.host);
    const installed = await Promise.all(locations.map((l) => exists(l.installedWhen)));
    const record = await this.records.load(client.id, entryName);
    const chosen = locations[Math.max(0, installed.indexOf(true))]!;
    const file = record && (await exists(record.file)) ? record.file : await writablePath(chosen.file);
    // A config file of its own also counts (Claude Code's ~/.claude.json without ~/.claude).
    return { file, installed: installed.includes(true) || (await exists(file)), installedWhen: chosen.installedWhen };
  }

  private entryTarget(client: ClientDefinition, server: string | undefined, token: string): EntryTarget {
    const url = gatewayUrl(this.port, server);
    if (client.transport === 'http') return { url, token, bridge: { command: '', args: [] } };
    return { url, token: '', bridge: this.bridgeCommand(client, server) };
  }

  private bridgeCommand(client: ClientDefinition, server: string | undefined): { command: string; args: string[] } {
    this.launcher ??= defaultBridgeLauncher();
    const args = [...this.launcher.args, 'bridge', '--client', client.id];
    // Only what differs from the bridge's own defaults: Windows clients mangle args with spaces.
    if (this.port !== DEFAULT_PORT) args.push('--url', gatewayUrl(this.port, server));
    else if (server) args.push('--server', server);
    if (
      path.resolve(this.deps.dataDir) !==
      path.resolve(defaultDataDir(this.deps.host.env as NodeJS.ProcessEnv, this.deps.host.platform))
    ) {
      args.push('--data-dir', path.resolve(this.deps.dataDir));
    }
    return { command: this.launcher.command, args };
  }

  private async ownTokenIn(client: ClientDefinition, entry: JsonValue | undefined): Promise<string | undefined> {
    const token = bearerIn(client, entry);
    if (!token || !this.deps.tokenOwner) return undefined;
    return (await this.deps.tokenOwner(token)) === client.id ? token : undefined;
  }

  private async drift(
    client: ClientDefinition,
    entryName: string,
    server: string | undefined,
    entry: JsonValue,
  ): Promise<string[]> {
    const problems: string[] = [];
    const url = gatewayUrl(this.port, server);
    let token = '';
    if (client.transport === 'http') {
      token = bearerIn(client, entry) ?? '';
      if (!token) problems.push('the entry has no "Authorization: Bearer" header');
      else if (this.deps.tokenOwner) {
        const owner = await this.deps.tokenOwner(token);
        if (!owner) problems.push('its token was revoked or is unknown to this Gatehouse');
        else if (owner !== client.id) problems.push(`its token belongs to '${owner}', not to ${client.id}`);
      }
    } else if (this.deps.hasToken && !(await this.deps.hasToken(client.id))) {
      problems.push(`the bridge has no token for '${client.id}' (revoked)`);
    }
    const expected = client.buildEntry(entryName, this.entryTarget(client, server, token));
    for (const [key, want] of Object.entries(expected)) {
      const have = isObject(entry) ? entry[key] : undefined;
      if (isSubset(want, have)) continue;
      if (want === url) problems.push(describeUrlDrift(key, have, url));
      else if (key === 'command' && typeof have === 'string' && !(await exists(have)))
        problems.push(`the bridge command ${have} no longer exists`);
      else if (client.authorizationPath?.[0] === key || key === 'headers')
        continue; // reported above
      else problems.push(`"${key}" is ${JSON.stringify(have)}, expected ${JSON.stringify(want)}`);
    }
    return problems;
  }

  private async recordUnchanged(
    client: ClientDefinition,
    entryName: string,
    file: string,
    bytes: Buffer | undefined,
  ): Promise<void> {
    if (await this.records.load(client.id, entryName)) return;
    // Our entry was already there (an earlier install, a lost data dir): we own it, but the bytes
    // before it are unknown, so disconnect will remove the entry rather than restore a file.
    const now = new Date().toISOString();
    await this.records.save({
      version: 1,
      clientId: client.id,
      entryName,
      file,
      connectedAt: now,
      original: { existed: true, createdDirs: [] },
      createdContainer: false,
      restorable: false,
      written: { sha256: sha256(bytes) ?? '', at: now },
    });
  }

  private async originalBytes(record: ConnectionRecord): Promise<Buffer> {
    const bytes = await fs.readFile(record.original.backup!);
    if (sha256(bytes) !== record.original.sha256)
      throw new ClientConfigError(
        'edit-failed',
        `The backup ${record.original.backup} does not match the original of ${record.file}; nothing was restored.`,
        { file: record.file },
      );
    return bytes;
  }
}

function nextRecord(
  record: ConnectionRecord | undefined,
  now: {
    client: ClientDefinition;
    entryName: string;
    file: string;
    bytes: Buffer | undefined;
    backup: string | undefined;
    createdDirs: string[];
    createdContainer: boolean;
  },
): Omit<ConnectionRecord, 'written'> {
  if (record && record.file === now.file) {
    // Still ours to restore only if nobody changed the file since our last write.
    return { ...record, restorable: record.restorable && sha256(now.bytes) === record.written.sha256 };
  }
  return {
    version: 1,
    clientId: now.client.id,
    entryName: now.entryName,
    file: now.file,
    connectedAt: new Date().toISOString(),
    original: {
      existed: Boolean(now.bytes),
      ...(now.bytes ? { sha256: sha256(now.bytes), backup: now.backup } : {}),
      createdDirs: now.createdDirs,
    },
    createdContainer: now.createdContainer,
    restorable: true,
  };
}

function gatewayUrl(port: number, server?: string): string {
  return server ? `http://127.0.0.1:${port}/servers/${encodeURIComponent(server)}/mcp` : `http://127.0.0.1:${port}/mcp`;
}

function entryNameFor(server: string | undefined): string {
  if (server === undefined) return ENTRY_NAME;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(server))
    throw new ClientConfigError(
      'unknown-client',
      `Invalid server name '${server}': use letters, digits, '.', '_' or '-'.`,
    );
  return `${ENTRY_NAME}-${server}`;
}

function locationOf(client: ClientDefinition, name: string): EntryLocation {
  return { container: client.container, name, shape: client.shape };
}

function bearerIn(client: ClientDefinition, entry: JsonValue | undefined): string | undefined {
  let value: JsonValue | undefined = entry;
  for (const key of client.authorizationPath ?? ['headers', 'Authorization'])
    value = isObject(value) ? value[key] : undefined;
  return typeof value === 'string' && value.startsWith('Bearer ') ? value.slice('Bearer '.length) : undefined;
}

/** Every field we write has our value; fields the user or the client added are fine. */
function isSubset(want: JsonValue, have: JsonValue | undefined): boolean {
  if (isObject(want)) return isObject(have) && Object.entries(want).every(([k, v]) => isSubset(v, have[k]));
  return isDeepStrictEqual(want, have);
}

function describeUrlDrift(key: string, have: JsonValue | undefined, want: string): string {
  if (typeof have !== 'string') return `"${key}" is missing (expected ${want})`;
  try {
    const [a, b] = [new URL(have), new URL(want)];
    if (a.hostname === b.hostname && a.pathname === b.pathname && a.port !== b.port)
      return `stale port: the entry uses ${a.port || '(default)'}, Gatehouse listens on ${b.port}`;
  } catch {
    // not a URL at all: the generic message
  }
  return `"${key}" points to ${have}, expected ${want}`;
}

function diffOf(file: string, before: { bytes: Buffer | undefined; text: string }, after: string | undefined): string {
  return unifiedDiff(before.bytes ? before.text : '', after ?? '', {
    from: before.bytes ? file : '/dev/null',
    to: after === undefined ? '/dev/null' : file,
  });
}

function splitBomText(bytes: Buffer): string {
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

function tryParse(editor: ConfigFormatEditor, text: string): JsonObject | undefined {
  try {
    return editor.parse(text);
  } catch {
    return undefined;
  }
}

function redact(text: string, token: string | undefined): string {
  return token && token !== '<new token>' ? text.split(token).join('<token>') : text;
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}

async function securityWarnings(file: string, token: string): Promise<string[]> {
  if (!token) return [];
  const warnings: string[] = [];
  const mode = (await fs.stat(file)).mode & 0o777;
  if (process.platform !== 'win32' && mode & 0o077) {
    warnings.push(
      `${file} holds a token and is readable by other users (mode ${mode.toString(8)}); consider 'chmod 600 ${file}'.`,
    );
  }
  const repo = await enclosingGitRepo(file);
  if (repo) warnings.push(`${file} is inside the git work tree ${repo}: do not commit it, it holds a token.`);
  return warnings;
}

/**
 * Atomic replace, retried briefly: on Windows the rename fails (EPERM/EBUSY) while the client
 * or a virus scanner has the file open.
 */
async function replaceFile(file: string, bytes: Buffer, mode?: number): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await writeFileAtomic(file, bytes, mode === undefined ? {} : { mode });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (attempt >= 5 || (code !== 'EPERM' && code !== 'EBUSY' && code !== 'EACCES')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
  }
}

async function removeEmptyDirs(dirs: string[]): Promise<void> {
  for (const dir of [...dirs].reverse()) {
    await fs.rmdir(dir).catch(() => undefined);
  }
}

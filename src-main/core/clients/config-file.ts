import fs from 'node:fs/promises';
import path from 'node:path';
import { ClientConfigError, ConfigSyntaxError } from './errors.ts';
import { jsonEditor } from './formats/json-editor.ts';
import { splitBom } from './formats/text-style.ts';
import { tomlEditor } from './formats/toml-editor.ts';
import { yamlEditor } from './formats/yaml-editor.ts';
import type { ClientDefinition } from './client-table.ts';
import {
  editEntry,
  type ConfigFormatEditor,
  type EntryLocation,
  type JsonObject,
  type RemoveOptions,
} from './formats/config-format.ts';

export function editorFor(client: ClientDefinition): ConfigFormatEditor {
  switch (client.format) {
    case 'json-strict':
      return jsonEditor({ strict: true, clientName: client.displayName });
    case 'jsonc':
      return jsonEditor({ strict: false, clientName: client.displayName });
    case 'yaml':
      return yamlEditor();
    case 'toml':
      return tomlEditor();
  }
}

/** A client file as found: its exact bytes (undefined if missing) and the text we edit. */
export type ConfigFileContent = { bytes: Buffer | undefined; bom: string; text: string };

export async function readConfigFile(file: string): Promise<ConfigFileContent> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { bytes: undefined, bom: '', text: '' };
    throw error;
  }
  const { bom, body } = splitBom(bytes.toString('utf8'));
  return { bytes, bom, text: body };
}

/** Parses like the client would, or throws the error that names the file and what is wrong. */
export function parseConfig(
  editor: ConfigFormatEditor,
  client: ClientDefinition,
  file: string,
  text: string,
): JsonObject {
  try {
    return editor.parse(text);
  } catch (error) {
    if (!(error instanceof ConfigSyntaxError)) throw error;
    throw new ClientConfigError(
      'unparseable',
      `${file} is not valid ${editor.name} (${error.where}${error.message}). Gatehouse did not change it. Fix the file (or move it aside) and connect ${client.displayName} again.`,
      { file, cause: error },
    );
  }
}

/**
 * editEntry for `file`: the editors know no file name, so a refusal is said again naming the file
 * and that it was left as it was; anything else an editor throws (a YAML library error for an odd
 * layout) is a refusal too, never a crash. Found by test/hardening/client-writer-fuzz.test.ts.
 */
export function editConfig(
  editor: ConfigFormatEditor,
  client: ClientDefinition,
  file: string,
  text: string,
  location: EntryLocation,
  entry: JsonObject | undefined,
  options?: RemoveOptions,
): string {
  try {
    return editEntry(editor, text, location, entry, options);
  } catch (error) {
    if (error instanceof ClientConfigError && error.file) throw error;
    const code = error instanceof ClientConfigError ? error.code : 'unsupported-layout';
    throw new ClientConfigError(
      code,
      `${file}: ${(error as Error).message.replace(/\.$/, '')}. Gatehouse did not change it; fix that part of the file (or move it aside) and connect ${client.displayName} again.`,
      { file, cause: error },
    );
  }
}

/**
 * The path to write: a symlinked config (dotfiles repos do this) is written through its link, so
 * the rename replaces the real file and the link stays a link.
 */
export async function writablePath(file: string): Promise<string> {
  try {
    return await fs.realpath(file);
  } catch {
    return file;
  }
}

/** The folders that `mkdir -p` would create for `file`, outermost first. */
export async function missingDirs(file: string): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (await exists(dir)) break;
    missing.unshift(dir);
    if (path.dirname(dir) === dir) break;
  }
  return missing;
}

export async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** The enclosing git work tree, if any: a token in there could end up in a commit. */
export async function enclosingGitRepo(file: string): Promise<string | undefined> {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (await exists(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

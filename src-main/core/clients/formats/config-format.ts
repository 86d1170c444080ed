import { isDeepStrictEqual } from 'node:util';
import { ClientConfigError } from '../errors.ts';

/**
 * Where our entry lives in a client's file: `container` is the key path of the servers collection
 * (`mcpServers`, `servers`, `context_servers`, `extensions`, `mcp_servers`), `name` our entry's key.
 * Continue keeps a list of objects identified by their `name` field instead of a map.
 */
export type EntryLocation = { container: readonly string[]; name: string; shape: 'map' | 'named-list' };

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type RemoveOptions = { dropEmptyContainer: boolean };

/**
 * One editor per file format. Every editor changes text by splicing only the bytes of our entry
 * (and the separators next to it), so everything else in the file stays byte for byte, and then
 * checks its own work by parsing the result (see `verifiedEdit`).
 */
export interface ConfigFormatEditor {
  readonly name: string;
  /** Parses like the client does; throws ConfigSyntaxError. Empty or comment-only text is `{}`. */
  parse(text: string): JsonObject;
  setEntry(text: string, location: EntryLocation, entry: JsonObject): string;
  removeEntry(text: string, location: EntryLocation, options: RemoveOptions): string;
  /**
   * Formats where the container exists only through our entry (TOML's `[mcp_servers.x]` makes
   * `mcp_servers` implicitly): an empty container and no container mean the same there.
   */
  readonly implicitContainer?: boolean;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readContainer(root: JsonObject, location: EntryLocation): JsonValue | undefined {
  let node: JsonValue | undefined = root;
  for (const key of location.container) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

export function readEntry(root: JsonObject, location: EntryLocation): JsonValue | undefined {
  const container = readContainer(root, location);
  if (location.shape === 'named-list') {
    return Array.isArray(container)
      ? container.find((item) => isObject(item) && item.name === location.name)
      : undefined;
  }
  return isObject(container) && Object.hasOwn(container, location.name) ? container[location.name] : undefined;
}

/** The parsed value we expect after setting (or, with `undefined`, removing) our entry. */
export function expectedAfter(
  root: JsonObject,
  location: EntryLocation,
  entry: JsonObject | undefined,
  options?: RemoveOptions,
): JsonObject {
  const copy = structuredClone(root);
  let parent: JsonObject = copy;
  const parents: JsonObject[] = [];
  for (const key of location.container.slice(0, -1)) {
    if (!isObject(parent[key])) parent[key] = {};
    parents.push(parent);
    parent = parent[key] as JsonObject;
  }
  const last = location.container.at(-1)!;
  if (location.shape === 'named-list') {
    const list = Array.isArray(parent[last]) ? (parent[last] as JsonValue[]) : [];
    const at = list.findIndex((item) => isObject(item) && item.name === location.name);
    if (entry && at >= 0) list[at] = entry;
    else if (entry) list.push(entry);
    else if (at >= 0) list.splice(at, 1);
    parent[last] = list;
    if (!entry && options?.dropEmptyContainer && list.length === 0) delete parent[last];
  } else {
    const map = isObject(parent[last]) ? parent[last] : {};
    if (entry) map[location.name] = entry;
    else delete map[location.name];
    parent[last] = map;
    if (!entry && options?.dropEmptyContainer && Object.keys(map).length === 0) delete parent[last];
  }
  return copy;
}

/**
 * Runs a text edit and proves it: the result must parse and mean exactly the old document with our
 * one change. A splice that would have damaged anything else throws instead of being written.
 */
function verifiedEdit(
  editor: ConfigFormatEditor,
  after: string,
  expected: JsonObject,
  location: EntryLocation,
): string {
  let actual: JsonObject;
  try {
    actual = editor.parse(after);
  } catch (cause) {
    throw new ClientConfigError(
      'edit-failed',
      `Gatehouse's ${editor.name} edit produced text that does not parse; nothing was written. Please report this with the file's layout.`,
      { cause },
    );
  }
  if (editor.implicitContainer) {
    actual = dropEmptyContainer(actual, location);
    expected = dropEmptyContainer(expected, location);
  }
  if (!isDeepStrictEqual(actual, expected)) {
    throw new ClientConfigError(
      'edit-failed',
      `Gatehouse's ${editor.name} edit would have changed more than its own entry; nothing was written. Please report this with the file's layout.`,
    );
  }
  return after;
}

export function unsupported(message: string): ClientConfigError {
  return new ClientConfigError('unsupported-layout', message);
}

/** Sets (entry) or removes (undefined) our entry and proves the result; the text is assumed to parse. */
export function editEntry(
  editor: ConfigFormatEditor,
  text: string,
  location: EntryLocation,
  entry: JsonObject | undefined,
  options: RemoveOptions = { dropEmptyContainer: false },
): string {
  const expected = expectedAfter(editor.parse(text), location, entry, options);
  const after = entry ? editor.setEntry(text, location, entry) : editor.removeEntry(text, location, options);
  return verifiedEdit(editor, after, expected, location);
}

function dropEmptyContainer(root: JsonObject, location: EntryLocation): JsonObject {
  const container = readContainer(root, location);
  if (!isObject(container) || Object.keys(container).length > 0) return root;
  const copy = structuredClone(root);
  let parent: JsonValue | undefined = copy;
  for (const key of location.container.slice(0, -1)) parent = isObject(parent) ? parent[key] : undefined;
  if (isObject(parent)) delete parent[location.container.at(-1)!];
  return copy;
}

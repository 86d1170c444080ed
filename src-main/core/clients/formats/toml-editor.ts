import { parse as parseToml, TomlError } from 'smol-toml';
import { ConfigSyntaxError } from '../errors.ts';
import { detectEol, withEol } from './text-style.ts';
import { isObject, unsupported } from './config-format.ts';
import type { ConfigFormatEditor, EntryLocation, JsonObject, JsonValue } from './config-format.ts';

/**
 * TOML (Codex's `config.toml`). No maintained npm package edits TOML while keeping comments and
 * layout (the `toml_edit` ports are young or unmaintained), so this is a deliberately small editor
 * that owns exactly one table, `[mcp_servers.<name>]`: it finds that table's lines with a scanner
 * that knows TOML strings, arrays and comments, and replaces, appends or deletes those lines only.
 * smol-toml parses the file before (refuse what does not parse) and after (prove the edit).
 */
export function tomlEditor(): ConfigFormatEditor {
  return {
    name: 'TOML',
    implicitContainer: true,
    parse(text) {
      try {
        return toPlainJson(parseToml(text)) as JsonObject;
      } catch (error) {
        if (error instanceof TomlError)
          throw new ConfigSyntaxError(error.message.split('\n')[0]!.replace(/^Invalid TOML document: /, ''), {
            line: error.line,
            column: error.column,
          });
        throw error;
      }
    },
    setEntry(text, location, entry) {
      const eol = detectEol(text);
      const table = withEol(tableText(location, entry), eol);
      const statements = scan(text);
      const region = ourRegion(statements, location);
      if (region)
        return (
          text.slice(0, region.start) +
          table +
          (region.end === text.length && !text.endsWith('\n') ? '' : eol) +
          text.slice(region.end)
        );
      assertExtendable(statements, location);
      if (text.trim() === '') return table + eol;
      const separator = text.endsWith('\n') ? (/\n[ \t]*\r?\n$/.test(text) ? '' : eol) : eol + eol;
      return text + separator + table + eol;
    },
    removeEntry(text, location) {
      const region = ourRegion(scan(text), location);
      if (!region) return text;
      let before = text.slice(0, region.start);
      let after = text.slice(region.end);
      // Take one of the blank lines around the table with it (the one we put above it when adding).
      if (after.trim() === '') before = before.replace(/(\r?\n)[ \t]*\r?\n$/, '$1');
      else if (/(^|\n)[ \t]*\r?\n$/.test(before)) after = after.replace(/^[ \t]*\r?\n/, '');
      return before + after;
    },
  };
}

/** Dates become ISO strings and big integers strings, so values compare like JSON. */
function toPlainJson(value: unknown): JsonValue {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
  ) as JsonValue;
}

function tableText(location: EntryLocation, entry: JsonObject): string {
  const lines = [`[${[...location.container, location.name].map(tomlKey).join('.')}]`];
  for (const [key, value] of Object.entries(entry)) lines.push(`${tomlKey(key)} = ${tomlValue(value)}`);
  return lines.join('\n');
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

function tomlValue(value: JsonValue): string {
  if (typeof value === 'string') return JSON.stringify(value); // a JSON string is a valid TOML basic string
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  if (isObject(value)) {
    const fields = Object.entries(value).map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`);
    return fields.length === 0 ? '{}' : `{ ${fields.join(', ')} }`;
  }
  throw unsupported('TOML has no null value');
}

type Statement = { kind: 'header' | 'array-header' | 'keyvalue'; path: string[]; start: number; end: number };

/** Top-level statements with their byte ranges: a header line, or a key = value (which may span lines). */
function scan(text: string): Statement[] {
  const statements: Statement[] = [];
  let at = 0;
  while (at < text.length) {
    const char = text[at]!;
    if (char === ' ' || char === '\t' || char === '\r' || char === '\n') {
      at += 1;
    } else if (char === '#') {
      at = endOfLine(text, at);
    } else if (char === '[') {
      const start = at;
      const array = text[at + 1] === '[';
      const key = readKey(text, at + (array ? 2 : 1));
      at = skipLineRest(text, key.end + (array ? 2 : 1));
      statements.push({ kind: array ? 'array-header' : 'header', path: key.path, start, end: at });
    } else {
      const start = at;
      const key = readKey(text, at);
      at = skipLineRest(text, skipValue(text, skipSpaces(text, key.end) + 1));
      statements.push({ kind: 'keyvalue', path: key.path, start, end: at });
    }
  }
  return statements;
}

/** Our table's header line through its last key = value (and sub-tables of ours right after it). */
function ourRegion(statements: Statement[], location: EntryLocation): { start: number; end: number } | undefined {
  const ours = [...location.container, location.name];
  const index = statements.findIndex((s) => s.kind === 'header' && samePath(s.path, ours));
  if (index < 0) return undefined;
  let end = statements[index]!.end;
  for (const statement of statements.slice(index + 1)) {
    if (statement.kind !== 'keyvalue' && !startsWith(statement.path, ours)) break;
    end = statement.end;
  }
  return { start: statements[index]!.start, end };
}

function assertExtendable(statements: Statement[], location: EntryLocation): void {
  const root = location.container[0]!;
  const inline = statements.find(
    (s, i) => s.kind === 'keyvalue' && s.path[0] === root && !statements.slice(0, i).some((h) => h.kind !== 'keyvalue'),
  );
  const dotted = statements.some(
    (s) =>
      s.kind === 'header' && s.path.length < location.container.length + 1 && startsWith(location.container, s.path),
  );
  if (inline || (dotted && containsOurKey(statements, location))) {
    throw unsupported(
      `"${root}" is written inline (${root} = { ... } or dotted keys); write each server as its own [${root}.<name>] table so Gatehouse can add [${[...location.container, location.name].join('.')}] next to them`,
    );
  }
}

function containsOurKey(statements: Statement[], location: EntryLocation): boolean {
  let table: string[] = [];
  for (const s of statements) {
    if (s.kind !== 'keyvalue') table = s.path;
    else if (
      samePath([...table, ...s.path].slice(0, location.container.length + 1), [...location.container, location.name])
    )
      return true;
  }
  return false;
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return path.length >= prefix.length && prefix.every((part, i) => part === path[i]);
}

function endOfLine(text: string, at: number): number {
  const newline = text.indexOf('\n', at);
  return newline === -1 ? text.length : newline;
}

function skipSpaces(text: string, at: number): number {
  while (text[at] === ' ' || text[at] === '\t') at += 1;
  return at;
}

/** After a statement: spaces, an optional comment, the line break. */
function skipLineRest(text: string, at: number): number {
  const end = endOfLine(text, at);
  return end === text.length ? end : end + 1;
}

/** A dotted key (`a."b c".'d'`), stopping before `=` or `]`. */
function readKey(text: string, from: number): { path: string[]; end: number } {
  const path: string[] = [];
  let at = skipSpaces(text, from);
  for (;;) {
    if (text[at] === '"' || text[at] === "'") {
      const end = skipString(text, at);
      const raw = text.slice(at, end);
      path.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw.slice(1, -1));
      at = end;
    } else {
      const match = /^[A-Za-z0-9_-]+/.exec(text.slice(at));
      if (!match) throw new ConfigSyntaxError('a key was expected');
      path.push(match[0]);
      at += match[0].length;
    }
    at = skipSpaces(text, at);
    if (text[at] !== '.') return { path, end: at };
    at = skipSpaces(text, at + 1);
  }
}

function skipString(text: string, at: number): number {
  const quote = text[at]!;
  const triple = text.startsWith(quote.repeat(3), at);
  let i = at + (triple ? 3 : 1);
  while (i < text.length) {
    if (quote === '"' && text[i] === '\\') {
      i += 2;
    } else if (triple && text.startsWith(quote.repeat(3), i)) {
      i += 3;
      // Up to two more quotes right before the closing three belong to the string.
      for (let extra = 0; extra < 2 && text[i] === quote; extra += 1) i += 1;
      return i;
    } else if (!triple && text[i] === quote) {
      return i + 1;
    } else {
      i += 1;
    }
  }
  return i;
}

/** Past one value: a string, an array or inline table (with nesting, comments, line breaks), or a scalar. */
function skipValue(text: string, from: number): number {
  let at = skipSpaces(text, from);
  if (text[at] === '"' || text[at] === "'") return skipString(text, at);
  if (text[at] !== '[' && text[at] !== '{') {
    while (at < text.length && !/[\s#,\]}]/.test(text[at]!)) at += 1;
    return at;
  }
  let depth = 0;
  while (at < text.length) {
    const char = text[at]!;
    if (char === '"' || char === "'") at = skipString(text, at);
    else if (char === '#') at = endOfLine(text, at);
    else {
      if (char === '[' || char === '{') depth += 1;
      if (char === ']' || char === '}') depth -= 1;
      at += 1;
      if (depth === 0) return at;
    }
  }
  return at;
}

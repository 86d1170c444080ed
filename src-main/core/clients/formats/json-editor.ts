import jsonc from 'jsonc-parser';
import type { Node as JsonNode, ParseError } from 'jsonc-parser';
import { ConfigSyntaxError } from '../errors.ts';
import {
  detectEol,
  indentFollowingLines,
  indentOfLine,
  lineStartOf,
  nextLineStart,
  onlyWhitespaceBefore,
  withEol,
} from './text-style.ts';
import { isObject, unsupported } from './config-format.ts';
import type { ConfigFormatEditor, EntryLocation, JsonObject, JsonValue, RemoveOptions } from './config-format.ts';

/**
 * JSON and JSONC. jsonc-parser finds the nodes and their offsets; the edit itself is a splice we
 * write here, because `modify`/`applyEdits` re-format the neighbouring entries and move a trailing
 * `// comment` of the previous line behind the inserted entry (see test/fixtures/clients/json-*).
 *
 * `strict` is for clients that drop or even wipe a file with a comment or a trailing comma in it
 * (Claude Desktop, Claude Code): such a file is refused with the reason, and we never add either.
 */
export function jsonEditor(options: { strict: boolean; clientName: string }): ConfigFormatEditor {
  const parseOptions = {
    allowTrailingComma: !options.strict,
    disallowComments: options.strict,
    allowEmptyContent: true,
  };
  return {
    name: options.strict ? 'JSON' : 'JSONC',
    parse(text) {
      const errors: ParseError[] = [];
      const value: unknown = jsonc.parse(text, errors, parseOptions);
      if (errors.length > 0) throw syntaxError(text, errors[0]!, options);
      if (value === undefined) return {};
      if (!isObject(value))
        throw new ConfigSyntaxError(
          `the top level is ${describe(value)}, but ${options.clientName} expects an object ({ ... })`,
        );
      return value;
    },
    setEntry: (text, location, entry) => new JsonSplice(text).set(location, entry),
    removeEntry: (text, location, remove) => new JsonSplice(text).remove(location, remove),
  };
}

const ERROR_TEXT: Record<string, string> = {
  InvalidSymbol: 'an unexpected character',
  InvalidNumberFormat: 'a malformed number',
  PropertyNameExpected: 'a property name was expected (a trailing comma?)',
  ValueExpected: 'a value was expected (a trailing comma?)',
  ColonExpected: "a ':' was expected",
  CommaExpected: "a ',' was expected",
  CloseBraceExpected: "a closing '}' is missing",
  CloseBracketExpected: "a closing ']' is missing",
  EndOfFileExpected: 'text continues after the end of the JSON value',
  InvalidCommentToken: 'a comment',
  UnexpectedEndOfComment: 'a comment is not closed',
  UnexpectedEndOfString: 'a string is not closed',
};

function syntaxError(
  text: string,
  error: ParseError,
  options: { strict: boolean; clientName: string },
): ConfigSyntaxError {
  const line = text.slice(0, error.offset).split('\n').length;
  const column = error.offset - lineStartOf(text, error.offset) + 1;
  const code = jsonc.printParseErrorCode(error.error);
  let what = ERROR_TEXT[code] ?? code;
  if (
    options.strict &&
    (code === 'InvalidCommentToken' || code === 'PropertyNameExpected' || code === 'ValueExpected')
  ) {
    what = `${code === 'InvalidCommentToken' ? 'a comment' : 'a trailing comma'}, which ${options.clientName} does not accept in this file (it ignores or resets the whole file)`;
  }
  return new ConfigSyntaxError(what, { line, column });
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : `a ${typeof value}`;
}

type Edit = { start: number; end: number; text: string };

/** One edit of one text: compute splices, then apply them from the back. */
class JsonSplice {
  private readonly text: string;
  private readonly eol: '\n' | '\r\n';
  private readonly unit: string;
  private readonly root: JsonNode | undefined;

  constructor(text: string) {
    this.text = text;
    this.eol = detectEol(text);
    this.unit = detectIndentUnit(text);
    this.root = jsonc.parseTree(text, [], { allowTrailingComma: true, allowEmptyContent: true });
  }

  set(location: EntryLocation, entry: JsonObject): string {
    if (location.shape !== 'map') throw unsupported('JSON client configs keep their servers in a map');
    if (!this.root) return this.wholeDocument(nest(location.container, { [location.name]: entry }));
    if (this.root.type !== 'object') throw unsupported('the top level of the file is not an object');
    let node = this.root;
    for (const [depth, key] of location.container.entries()) {
      const property = findProperty(node, key);
      const value = property?.children?.[1];
      if (!property || !value) {
        return this.apply(
          this.insertProperty(node, key, nest(location.container.slice(depth + 1), { [location.name]: entry })),
        );
      }
      if (value.type === 'null')
        return this.apply([
          this.replaceValue(value, nest(location.container.slice(depth + 1), { [location.name]: entry })),
        ]);
      if (value.type !== 'object')
        throw unsupported(
          `"${location.container.slice(0, depth + 1).join('.')}" is ${value.type === 'array' ? 'an array' : `a ${value.type}`}, not an object of servers`,
        );
      node = value;
    }
    const existing = findProperty(node, location.name)?.children?.[1];
    if (existing) return this.apply([this.replaceValue(existing, entry)]);
    return this.apply(this.insertProperty(node, location.name, entry));
  }

  remove(location: EntryLocation, options: RemoveOptions): string {
    if (!this.root || this.root.type !== 'object') return this.text;
    const chain: { object: JsonNode; property: JsonNode }[] = [];
    let node = this.root;
    for (const key of location.container) {
      const property = findProperty(node, key);
      const value = property?.children?.[1];
      if (!property || value?.type !== 'object') return this.text;
      chain.push({ object: node, property });
      node = value;
    }
    const ours = findProperty(node, location.name);
    if (!ours) return this.text;
    const parent = chain.at(-1);
    if (options.dropEmptyContainer && parent && node.children!.length === 1) {
      return this.apply(this.removeProperty(parent.object, parent.property));
    }
    return this.apply(this.removeProperty(node, ours));
  }

  private apply(edits: Edit[]): string {
    let out = this.text;
    // From the back, so offsets stay valid; edits at one offset keep their listed order.
    const ordered = edits
      .map((edit, index) => ({ edit, index }))
      .sort((a, b) => b.edit.start - a.edit.start || b.index - a.index);
    for (const { edit } of ordered) {
      out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
    }
    return out;
  }

  private wholeDocument(value: JsonObject): string {
    const json = withEol(JSON.stringify(value, null, this.unit), this.eol) + this.eol;
    if (this.text.trim() === '') return json;
    // A file with only comments in it: keep them above the new content.
    return this.text.replace(/\s*$/, '') + this.eol + json;
  }

  private format(value: JsonValue, indent: string, compact: boolean): string {
    if (compact) return compactJson(value);
    return withEol(indentFollowingLines(JSON.stringify(value, null, this.unit), indent), this.eol);
  }

  private replaceValue(valueNode: JsonNode, value: JsonValue): Edit {
    const property = valueNode.parent!;
    const compact = !this.spansLines(property.parent!) && property.parent !== this.root;
    const indent = indentOfLine(this.text, property.offset);
    return {
      start: valueNode.offset,
      end: valueNode.offset + valueNode.length,
      text: this.format(value, indent, compact),
    };
  }

  private insertProperty(object: JsonNode, key: string, value: JsonValue): Edit[] {
    const open = object.offset;
    const close = object.offset + object.length - 1;
    const properties = object.children ?? [];
    const last = properties.at(-1);
    if (!last) {
      const inner = this.text.slice(open + 1, close);
      const compact = !this.spansLines(object) && (object !== this.root ? !this.spansLines(this.root!) : false);
      if (compact) return [{ start: open + 1, end: close, text: `${JSON.stringify(key)}: ${compactJson(value)}` }];
      const ownIndent = indentOfLine(this.text, open);
      const childIndent = ownIndent + this.unit;
      const property = `${JSON.stringify(key)}: ${this.format(value, childIndent, false)}`;
      if (inner.trim() === '')
        return [{ start: open + 1, end: close, text: this.eol + childIndent + property + this.eol + ownIndent }];
      const at = skipTrivia(this.text, open + 1, true).end; // after a `{ // comment` on the same line
      return [{ start: at, end: at, text: this.eol + childIndent + property }];
    }
    const lastEnd = last.offset + last.length;
    if (!this.spansLines(object)) {
      const after = skipTrivia(this.text, lastEnd, true);
      const text = `${after.comma ? ' ' : ', '}${JSON.stringify(key)}: ${compactJson(value)}${after.comma ? ',' : ''}`;
      const at = after.comma ? after.commaEnd : lastEnd;
      return [{ start: at, end: at, text }];
    }
    const indent = onlyWhitespaceBefore(this.text, last.offset)
      ? indentOfLine(this.text, last.offset)
      : indentOfLine(this.text, open) + this.unit;
    const property = `${JSON.stringify(key)}: ${this.format(value, indent, false)}`;
    const after = skipTrivia(this.text, lastEnd, true);
    if (after.comma) return [{ start: after.end, end: after.end, text: this.eol + indent + property + ',' }];
    return [
      { start: lastEnd, end: lastEnd, text: ',' },
      { start: after.end, end: after.end, text: this.eol + indent + property },
    ];
  }

  private removeProperty(object: JsonNode, property: JsonNode): Edit[] {
    const properties = object.children!;
    const index = properties.indexOf(property);
    const end = property.offset + property.length;
    const after = skipTrivia(this.text, end, true);
    const ownsLines =
      onlyWhitespaceBefore(this.text, property.offset) && /^\r?\n|^$/.test(this.text.slice(after.end, after.end + 2));
    const open = object.offset;
    const close = object.offset + object.length - 1;
    const ownRange = ownsLines
      ? { start: lineStartOf(this.text, property.offset), end: nextLineStart(this.text, after.end) }
      : { start: property.offset, end: after.end };
    if (properties.length === 1) {
      // The object becomes empty: `{}`, unless a comment of the user's is left in it.
      const rest = this.text.slice(open + 1, ownRange.start) + this.text.slice(ownRange.end, close);
      return [rest.trim() === '' ? { start: open + 1, end: close, text: '' } : { ...ownRange, text: '' }];
    }
    const previous = properties[index - 1];
    if (ownsLines) {
      const edits: Edit[] = [{ ...ownRange, text: '' }];
      if (index === properties.length - 1 && !after.comma && previous) {
        const comma = skipTrivia(this.text, previous.offset + previous.length, false);
        if (comma.comma) edits.push({ start: comma.commaEnd - 1, end: comma.commaEnd, text: '' });
      }
      return edits;
    }
    const next = properties[index + 1];
    if (next) return [{ start: property.offset, end: next.offset, text: '' }];
    return [{ start: previous!.offset + previous!.length, end, text: '' }];
  }

  private spansLines(node: JsonNode): boolean {
    return this.text.slice(node.offset, node.offset + node.length).includes('\n');
  }
}

function findProperty(object: JsonNode, key: string): JsonNode | undefined {
  // The last one wins, as in JSON.parse, if a key is (wrongly) repeated.
  return object.children?.findLast((property) => property.children?.[0]?.value === key);
}

function nest(path: readonly string[], value: JsonObject): JsonObject {
  return path.reduceRight<JsonObject>((inner, key) => ({ [key]: inner }), value);
}

/**
 * Skips whitespace and comments (on the same line only, if `sameLine`), noting a comma on the way:
 * the place just behind a property where the next one can go without moving a trailing comment.
 */
function skipTrivia(text: string, from: number, sameLine: boolean): { end: number; comma: boolean; commaEnd: number } {
  let at = from;
  let comma = false;
  let commaEnd = -1;
  for (;;) {
    const rest = text.slice(at, at + 2);
    if (rest[0] === ' ' || rest[0] === '\t' || (!sameLine && (rest[0] === '\r' || rest[0] === '\n'))) {
      at += 1;
    } else if (rest === '//') {
      const newline = text.indexOf('\n', at);
      at = newline === -1 ? text.length : newline - (text[newline - 1] === '\r' ? 1 : 0);
    } else if (rest === '/*') {
      const close = text.indexOf('*/', at + 2);
      at = close === -1 ? text.length : close + 2;
    } else if (rest[0] === ',' && !comma) {
      comma = true;
      at += 1;
      commaEnd = at;
      if (!sameLine) break;
    } else {
      break;
    }
  }
  return { end: at, comma, commaEnd };
}

/** The file's indentation unit: that of the first indented line, else two spaces. */
function detectIndentUnit(text: string): string {
  const match = /\n([ \t]+)\S/.exec(text);
  if (!match) return '  ';
  return match[1]!.startsWith('\t') ? '\t' : match[1]!;
}

function compactJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(compactJson).join(', ')}]`;
  if (isObject(value)) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${compactJson(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

import { isDeepStrictEqual } from 'node:util';
import YAML from 'yaml';
import type { Document, Node as YamlNode, Pair, YAMLMap, YAMLSeq } from 'yaml';
import { ConfigSyntaxError } from '../errors.ts';
import { detectEol, indentOfLine, lineStartOf, nextLineStart, onlyWhitespaceBefore, withEol } from './text-style.ts';
import { expectedAfter, isObject, unsupported } from './config-format.ts';
import type { ConfigFormatEditor, EntryLocation, JsonObject, JsonValue, RemoveOptions } from './config-format.ts';

/**
 * YAML (Continue, Goose). The `yaml` Document API gives every node's source range; for block
 * collections, which is how these files are written, we splice our entry's lines in or out and
 * leave every other byte alone. For flow collections (`extensions: {a: 1}`) we fall back to the
 * Document API (`setIn` + `toString`), which keeps comments but may re-space the file. Either way
 * the result is re-parsed and must mean the old document plus our change.
 */
export function yamlEditor(): ConfigFormatEditor {
  const editor: ConfigFormatEditor = {
    name: 'YAML',
    parse(text) {
      const doc = parseDocument(text);
      let value: unknown;
      try {
        value = doc.toJS();
      } catch (error) {
        // An alias whose anchor is missing ("*x"), or aliases that expand without bound (a "billion
        // laughs" file): the yaml library throws a ReferenceError. Found by test/hardening/client-writer-fuzz.test.ts.
        throw new ConfigSyntaxError((error as Error).message);
      }
      if (value === null || value === undefined) return {};
      if (!isObject(value)) throw new ConfigSyntaxError('the top level is not a mapping (key: value)');
      return value;
    },
    setEntry(text, location, entry) {
      return spliceOrRebuild(editor, text, location, entry, { dropEmptyContainer: false });
    },
    removeEntry(text, location, options) {
      return spliceOrRebuild(editor, text, location, undefined, options);
    },
  };
  return editor;
}

function parseDocument(text: string): Document {
  const docs = YAML.parseAllDocuments(text, { uniqueKeys: true });
  if (docs.length > 1) throw new ConfigSyntaxError('the file holds more than one YAML document (a "---" separator)');
  const doc = docs[0] ?? YAML.parseDocument('');
  const error = doc.errors[0];
  if (error) {
    const [line, column] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : [undefined, undefined];
    throw new ConfigSyntaxError(error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), {
      line,
      column,
    });
  }
  return doc as Document;
}

function spliceOrRebuild(
  editor: ConfigFormatEditor,
  text: string,
  location: EntryLocation,
  entry: JsonObject | undefined,
  options: RemoveOptions,
): string {
  const expected = expectedAfter(editor.parse(text), location, entry, options);
  try {
    const spliced = new YamlSplice(text).edit(location, entry, options);
    if (spliced !== undefined && isDeepStrictEqual(editor.parse(spliced), expected)) return spliced;
  } catch (error) {
    if (!(error instanceof ConfigSyntaxError)) throw error;
  }
  return rebuild(text, location, entry, options);
}

/** The coarse path: comments survive, spacing may not. */
function rebuild(text: string, location: EntryLocation, entry: JsonObject | undefined, options: RemoveOptions): string {
  const doc = parseDocument(text);
  const path = [...location.container];
  if (location.shape === 'named-list') {
    const list = doc.getIn(path, true);
    if (list !== undefined && !YAML.isSeq(list)) throw unsupported(`"${path.join('.')}" is not a list`);
    const items = YAML.isSeq(list) ? list.items : [];
    const at = items.findIndex((item) => YAML.isMap(item) && item.get('name') === location.name);
    if (entry && at >= 0) doc.setIn([...path, at], doc.createNode(entry));
    else if (entry) doc.addIn(path, doc.createNode(entry));
    else if (at >= 0) doc.deleteIn([...path, at]);
    if (
      !entry &&
      options.dropEmptyContainer &&
      YAML.isSeq(doc.getIn(path, true)) &&
      (doc.getIn(path, true) as YAMLSeq).items.length === 0
    )
      doc.deleteIn(path);
  } else if (entry) {
    doc.setIn([...path, location.name], doc.createNode(entry));
  } else {
    doc.deleteIn([...path, location.name]);
    const map = doc.getIn(path, true);
    if (options.dropEmptyContainer && YAML.isMap(map) && map.items.length === 0) doc.deleteIn(path);
  }
  return withEol(doc.toString({ lineWidth: 0 }), detectEol(text));
}

type Edit = { start: number; end: number; text: string };

class YamlSplice {
  private readonly text: string;
  private readonly eol: '\n' | '\r\n';
  private readonly doc: Document;

  constructor(text: string) {
    this.text = text;
    this.eol = detectEol(text);
    this.doc = parseDocument(text);
  }

  /** The spliced text, or undefined when the layout is not one we splice (the caller rebuilds). */
  edit(location: EntryLocation, entry: JsonObject | undefined, options: RemoveOptions): string | undefined {
    const edit = entry ? this.set(location, entry) : this.remove(location, options);
    if (edit === undefined) return undefined;
    if (edit === null) return this.text;
    return this.text.slice(0, edit.start) + edit.text + this.text.slice(edit.end);
  }

  private set(location: EntryLocation, entry: JsonObject): Edit | undefined {
    const root = this.doc.contents;
    if (root === null || (YAML.isScalar(root) && root.value === null)) {
      return this.append({ [location.container[0]!]: valueBelow(location, 0, entry) });
    }
    if (!YAML.isMap(root) || root.flow) return undefined;
    let map: YAMLMap = root;
    for (const [depth, key] of location.container.entries()) {
      const pair = findPair(map, key);
      if (!pair) return this.appendPair(map, key, valueBelow(location, depth, entry));
      const value = pair.value as YamlNode | null;
      if (value === null || (YAML.isScalar(value) && value.value === null))
        return this.replaceEmptyValue(pair, valueBelow(location, depth, entry));
      if (depth === location.container.length - 1 && location.shape === 'named-list')
        return this.setListItem(pair, value, location, entry);
      if (!YAML.isMap(value)) return undefined;
      if (value.flow)
        return value.items.length === 0 ? this.replaceEmptyValue(pair, valueBelow(location, depth, entry)) : undefined;
      map = value;
    }
    const ours = findPair(map, location.name);
    if (ours) return this.replacePair(ours, { [location.name]: entry });
    return this.appendPair(map, location.name, entry);
  }

  private setListItem(pair: Pair, value: YamlNode, location: EntryLocation, entry: JsonObject): Edit | undefined {
    if (!YAML.isSeq(value)) return undefined;
    if (value.flow) return value.items.length === 0 ? this.replaceEmptyValue(pair, [entry]) : undefined;
    const items = value.items as YamlNode[];
    const ours = items.find((item) => YAML.isMap(item) && item.get('name') === location.name);
    if (ours) {
      const start = ours.range![0];
      const end = nextLineStart(this.text, ours.range![1]);
      const column = start - lineStartOf(this.text, start);
      return { start, end, text: this.block(entry, ' '.repeat(column)).slice(column) + this.endingLike(end) };
    }
    const first = items[0];
    if (!first) return undefined;
    const dash = this.dashBefore(first.range![0]);
    if (dash === undefined) return undefined;
    const indent = indentOfLine(this.text, dash);
    return this.insertAfter(value.range![1], this.block([entry], indent));
  }

  private remove(location: EntryLocation, options: RemoveOptions): Edit | null | undefined {
    const root = this.doc.contents;
    if (!YAML.isMap(root)) return null;
    let map: YAMLMap = root;
    let containerPair: Pair | undefined;
    for (const key of location.container) {
      const pair = findPair(map, key);
      if (!pair) return null;
      containerPair = pair;
      const value = pair.value as YamlNode | null;
      if (location.shape === 'named-list' && key === location.container.at(-1)) {
        if (!YAML.isSeq(value)) return null;
        if (value.flow) return undefined;
        const items = value.items as YamlNode[];
        const ours = items.find((item) => YAML.isMap(item) && item.get('name') === location.name);
        if (!ours) return null;
        if (items.length === 1) return this.emptyContainer(pair, '[]', options);
        const dash = this.dashBefore(ours.range![0]);
        if (dash === undefined || !onlyWhitespaceBefore(this.text, dash)) return undefined;
        return { start: lineStartOf(this.text, dash), end: nextLineStart(this.text, ours.range![1]), text: '' };
      }
      if (!YAML.isMap(value)) return null;
      if (value.flow) return undefined;
      map = value;
    }
    const ours = findPair(map, location.name);
    if (!ours) return null;
    if (map.items.length === 1 && containerPair) return this.emptyContainer(containerPair, '{}', options);
    const keyNode = ours.key as YamlNode;
    if (!onlyWhitespaceBefore(this.text, keyNode.range![0])) return undefined;
    return { start: lineStartOf(this.text, keyNode.range![0]), end: nextLineStart(this.text, pairEnd(ours)), text: '' };
  }

  /** Our entry was the only one: `key: {}` (or the key gone, if we had added it). */
  private emptyContainer(pair: Pair, empty: string, options: RemoveOptions): Edit | undefined {
    const key = pair.key as YamlNode;
    const end = nextLineStart(this.text, pairEnd(pair));
    if (options.dropEmptyContainer) {
      if (!onlyWhitespaceBefore(this.text, key.range![0])) return undefined;
      return { start: lineStartOf(this.text, key.range![0]), end, text: '' };
    }
    return { start: key.range![1], end, text: `: ${empty}${this.endingLike(end)}` };
  }

  private appendPair(map: YAMLMap, key: string, value: JsonValue): Edit | undefined {
    const first = map.items[0]?.key as YamlNode | undefined;
    if (!first) return undefined;
    const indent = indentOfLine(this.text, first.range![0]);
    if (!onlyWhitespaceBefore(this.text, first.range![0])) return undefined;
    return this.insertAfter(map.range![1], this.block({ [key]: value }, indent));
  }

  private replacePair(pair: Pair, value: JsonObject): Edit {
    const key = pair.key as YamlNode;
    const start = key.range![0];
    const end = nextLineStart(this.text, pairEnd(pair));
    const column = start - lineStartOf(this.text, start);
    return { start, end, text: this.block(value, ' '.repeat(column)).slice(column) + this.endingLike(end) };
  }

  /** `key:` / `key: ~` / `key: {}` / `key: []` become `key:` followed by our block. */
  private replaceEmptyValue(pair: Pair, value: JsonValue): Edit {
    const key = pair.key as YamlNode;
    const end = nextLineStart(this.text, pairEnd(pair));
    const indent = indentOfLine(this.text, key.range![0]) + '  ';
    return { start: key.range![1], end, text: `:${this.eol}${this.block(value, indent)}${this.endingLike(end)}` };
  }

  /** A file with no content yet (empty, or only comments): our lines go at its end. */
  private append(value: JsonObject): Edit {
    const separator = this.text.length > 0 && !this.text.endsWith('\n') ? this.eol : '';
    return { start: this.text.length, end: this.text.length, text: separator + this.block(value, '') + this.eol };
  }

  /** Inserts whole lines at the line start after `offset`, adding a line break if the file lacks one. */
  private insertAfter(offset: number, block: string): Edit {
    const at = nextLineStart(this.text, offset);
    const needsBreak = at === this.text.length && at > 0 && !this.text.endsWith('\n');
    return { start: at, end: at, text: (needsBreak ? this.eol : '') + block + (needsBreak ? '' : this.eol) };
  }

  /** Our value as block YAML lines, each prefixed with `indent`, no final line break. */
  private block(value: unknown, indent: string): string {
    const yaml = YAML.stringify(value, { lineWidth: 0, indent: 2, indentSeq: true }).replace(/\n$/, '');
    return withEol(
      yaml
        .split('\n')
        .map((line) => indent + line)
        .join('\n'),
      this.eol,
    );
  }

  /** Keep the replaced region's line ending: a line break unless it ran to a file end without one. */
  private endingLike(end: number): string {
    return end > 0 && this.text[end - 1] === '\n' ? this.eol : '';
  }

  private dashBefore(contentStart: number): number | undefined {
    const dash = this.text.lastIndexOf('-', contentStart);
    return dash >= 0 && /^[ \t]*$/.test(this.text.slice(dash + 1, contentStart)) ? dash : undefined;
  }
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => (YAML.isScalar(pair.key) ? pair.key.value : pair.key) === key);
}

/** Where a pair's value ends (its key's end when the value is empty). */
function pairEnd(pair: Pair): number {
  const value = pair.value as YamlNode | null;
  return value?.range ? Math.max(value.range[1], (pair.key as YamlNode).range![1]) : (pair.key as YamlNode).range![1];
}

/** The value that goes under `container[depth]` when that key is missing or empty. */
function valueBelow(location: EntryLocation, depth: number, entry: JsonObject): JsonValue {
  let value: JsonValue = location.shape === 'named-list' ? [entry] : { [location.name]: entry };
  for (let index = location.container.length - 1; index > depth; index -= 1)
    value = { [location.container[index]!]: value };
  return value;
}

// Property-based fuzzing of the AI-client config writers through `gatehouse clients connect`'s
// code path (ClientConnections, real files in a temp HOME): for random existing files (odd JSON,
// comments, trailing commas, TOML tables and inline tables, YAML flow/block/anchors, junk
// characters, random text) the writer either writes a file that parses and keeps every other key
// of the user, or refuses with a ClientConfigError naming the file and leaves it byte-identical.
import fs from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { parse as parseJsonc, type ParseError } from 'jsonc-parser';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientConfigError, ClientConnections } from '../../src-main/core/clients/index.ts';
import { fixedTokens, tempHome, TEST_LAUNCHER, type TempHome } from '../clients/support/temp-home.ts';

/** Runs per client; the README's reliability section quotes them. */
const RUNS = 150;
const ENTRY = 'gatehouse';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Format = 'json-strict' | 'jsonc' | 'toml' | 'yaml';
type Target = { client: string; file: string; format: Format; container: string[]; shape: 'map' | 'named-list' };

const TARGETS: Target[] = [
  { client: 'claude-code', file: '.claude.json', format: 'json-strict', container: ['mcpServers'], shape: 'map' },
  { client: 'cursor', file: '.cursor/mcp.json', format: 'jsonc', container: ['mcpServers'], shape: 'map' },
  { client: 'codex', file: '.codex/config.toml', format: 'toml', container: ['mcp_servers'], shape: 'map' },
  { client: 'goose', file: '.config/goose/config.yaml', format: 'yaml', container: ['extensions'], shape: 'map' },
  { client: 'continue', file: '.continue/config.yaml', format: 'yaml', container: ['mcpServers'], shape: 'named-list' },
];

/** An independent parser per format (not the writer's own), null when the text does not parse. */
function parseAs(format: Format, text: string): Record<string, unknown> | null {
  try {
    // The writers keep a file's byte-order mark (golden: claude-desktop bom-crlf) and its readers skip
    // it; without this, a blank file with a BOM read as {} before and as unparsable after.
    if (format === 'json-strict') {
      const body = text.replace(/^\ufeff/, '');
      return body.trim() === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
    }
    if (format === 'jsonc') {
      const errors: ParseError[] = [];
      // Cursor, VS Code and friends skip a byte-order mark, as jsonc-parser does not.
      const value = parseJsonc(text.replace(/^\ufeff/, ''), errors, { allowTrailingComma: true }) as
        Record<string, unknown> | undefined;
      return errors.length ? null : (value ?? {});
    }
    if (format === 'toml') return parseToml(text) as Record<string, unknown>;
    const doc = YAML.parseDocument(text, { uniqueKeys: true });
    if (doc.errors.length) return null;
    return (doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown> | null) ?? {};
  } catch {
    return null;
  }
}

function withoutOurEntry(root: Record<string, unknown>, target: Target, had: boolean): Record<string, unknown> {
  const copy = structuredClone(root);
  const key = target.container[0]!;
  const container = copy[key];
  if (target.shape === 'named-list' && Array.isArray(container)) {
    copy[key] = container.filter((item) => (item as { name?: unknown })?.name !== ENTRY);
    if (!had && (copy[key] as unknown[]).length === 0) delete copy[key];
  } else if (container && typeof container === 'object') {
    delete (container as Record<string, unknown>)[ENTRY];
    if (!had && Object.keys(container).length === 0) delete copy[key];
  }
  // A key with no value (YAML `mcpServers:`, JSON null) is an empty container the writer fills:
  // without our entry, empty and null are the same thing.
  const left = copy[key];
  if (had && left !== null && typeof left === 'object' && Object.keys(left).length === 0) copy[key] = null;
  return copy;
}

const key = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9_-]{0,6}$/),
  fc.constantFrom(
    'mcpServers',
    'mcp_servers',
    'extensions',
    'servers',
    'gatehouse',
    '__proto__',
    'constructor',
    'a.b',
    'é',
  ),
);
const scalar = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean());
const value: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(key, tie('v'), { maxKeys: 3 }),
  ),
})).v;
const server = fc.oneof(
  fc.record({ command: fc.string({ maxLength: 8 }), args: fc.array(fc.string({ maxLength: 6 }), { maxLength: 2 }) }),
  fc.record({ url: fc.constant('https://example.test/mcp'), headers: fc.dictionary(key, fc.string({ maxLength: 6 })) }),
  value,
);

/** A user's document: settings, a servers collection in any shape (even the wrong type), maybe our old entry. */
function userDocument(target: Target): fc.Arbitrary<Record<string, Json>> {
  const servers =
    target.shape === 'named-list'
      ? fc.array(
          fc.oneof(
            server.map((s) => ({ name: 'x', ...(typeof s === 'object' && s && !Array.isArray(s) ? s : {}) })),
            value,
          ),
          {
            maxLength: 3,
          },
        )
      : fc.dictionary(key, server, { maxKeys: 3 });
  return fc
    .record({
      settings: fc.dictionary(key, value, { maxKeys: 4 }),
      servers: fc.oneof({ weight: 4, arbitrary: servers as fc.Arbitrary<Json> }, { weight: 1, arbitrary: value }),
      hasContainer: fc.boolean(),
    })
    .map(({ settings, servers: s, hasContainer }) => {
      const doc: Record<string, Json> = { ...settings };
      if (hasContainer) doc[target.container[0]!] = s;
      return doc;
    });
}

/** Serialised the way people and tools write these files, odd bits included. */
function render(target: Target, doc: Record<string, Json>, style: number, eol: string): string | undefined {
  try {
    let text: string;
    if (target.format === 'toml') {
      text = stringifyToml(doc);
      if (style % 3 === 1) text = `# my settings\n${text.replace(/\n\[/g, '\n# section\n[')}`;
    } else if (target.format === 'yaml') {
      text = YAML.stringify(doc, { collectionStyle: style % 3 === 1 ? 'flow' : 'any', indent: 2 + (style % 3) });
      if (style % 4 === 2) text = `# comment\n${text}`;
    } else {
      text = JSON.stringify(doc, null, [0, 2, 4, '\t'][style % 4] as number | string);
      if (target.format === 'jsonc' && style % 5 === 3) text = `// user comment\n${text.replace(/\n}/, ',\n}')}`;
      if (target.format === 'jsonc' && style % 5 === 4) text = text.replace(/^\{/, '{ /* block */');
    }
    return text.replace(/\n/g, eol);
  } catch {
    return undefined; // e.g. TOML cannot hold null: not a file anyone has
  }
}

const junk = fc.record({
  at: fc.nat(),
  char: fc.constantFrom('{', '}', '[', ']', ',', ':', '"', "'", '#', '=', '\n', ' ', '-', '\t', '\0', '\ufeff'),
});

describe('client-config writers under fuzzing', () => {
  let home: TempHome;
  let connections: ClientConnections;
  beforeAll(async () => {
    home = await tempHome('linux');
    connections = new ClientConnections({
      host: home.host,
      dataDir: home.dataDir,
      ...fixedTokens,
      bridgeLauncher: TEST_LAUNCHER,
    });
  });
  afterAll(() => home?.close());

  for (const target of TARGETS) {
    it(`${target.client} (${target.format}): ${RUNS} random files are either edited keeping every other key, or refused untouched`, async () => {
      const file = path.join(home.home, target.file);
      await fs.mkdir(path.dirname(file), { recursive: true });
      const counts = { written: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            {
              weight: 3,
              arbitrary: fc.tuple(
                userDocument(target),
                fc.nat(20),
                fc.constantFrom('\n', '\r\n'),
                fc.constant(undefined),
              ),
            },
            { weight: 2, arbitrary: fc.tuple(userDocument(target), fc.nat(20), fc.constant('\n'), junk) },
            {
              weight: 1,
              arbitrary: fc.tuple(fc.constant({}), fc.constant(-1), fc.constant('\n'), fc.constant(undefined)),
            },
          ),
          fc.string({ maxLength: 30 }),
          async ([doc, style, eol, damage], randomText) => {
            let text = style === -1 ? randomText : render(target, doc, style, eol);
            if (text === undefined) return;
            if (damage) {
              const at = damage.at % (text.length + 1);
              text = text.slice(0, at) + damage.char + text.slice(at);
            }
            await fs.writeFile(file, text);
            const before = await fs.readFile(file);
            const parsedBefore = parseAs(target.format, text);
            try {
              await connections.connect(target.client);
            } catch (error) {
              // Refused: a ClientConfigError that names the file, and not one byte changed.
              if (!(error instanceof ClientConfigError)) throw error;
              expect(error.message).toContain(file);
              expect(error.file).toBe(file);
              expect((await fs.readFile(file)).equals(before)).toBe(true);
              counts.refused++;
              return;
            }
            counts.written++;
            const afterText = await fs.readFile(file, 'utf8');
            const parsedAfter = parseAs(target.format, afterText);
            expect(parsedAfter, `written file does not parse:\n${afterText}`).not.toBeNull();
            if (parsedBefore && typeof parsedBefore === 'object' && !Array.isArray(parsedBefore)) {
              const had = Object.hasOwn(parsedBefore, target.container[0]!);
              expect(withoutOurEntry(parsedAfter!, target, had)).toEqual(withoutOurEntry(parsedBefore, target, had));
            }
          },
        ),
        { numRuns: RUNS },
      );
      console.log(`${target.client}: ${counts.written} written, ${counts.refused} refused`);
      expect(counts.written).toBeGreaterThan(RUNS / 5);
    });
  }
});

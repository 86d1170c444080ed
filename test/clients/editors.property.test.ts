import fc from 'fast-check';
import { stringify as tomlStringify } from 'smol-toml';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { editEntry } from '../../src-main/core/clients/formats/config-format.ts';
import { jsonEditor } from '../../src-main/core/clients/formats/json-editor.ts';
import { tomlEditor } from '../../src-main/core/clients/formats/toml-editor.ts';
import { yamlEditor } from '../../src-main/core/clients/formats/yaml-editor.ts';
import type {
  ConfigFormatEditor,
  EntryLocation,
  JsonObject,
} from '../../src-main/core/clients/formats/config-format.ts';

/**
 * For any file a user could have (other top-level settings, other servers, any indentation, LF or
 * CRLF), adding our entry keeps everything else and removing it gives back the exact bytes.
 */
const key = fc
  .stringMatching(/^[a-z][a-z0-9_-]{0,8}$/)
  .filter((k) => k !== 'gatehouse' && k !== 'mcpServers' && k !== 'mcp_servers' && k !== 'extensions');
const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean());
const server = fc.dictionary(key, fc.oneof(scalar, fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })), {
  maxKeys: 3,
});
const document = (containerKey: string) =>
  fc
    .record({
      settings: fc.dictionary(key, scalar, { maxKeys: 4 }),
      servers: fc.dictionary(key, server, { maxKeys: 4 }),
      eol: fc.constantFrom('\n', '\r\n'),
    })
    .map(({ settings, servers, eol }) => ({
      value: { ...settings, [containerKey]: servers } as JsonObject,
      eol,
    }));

const ENTRY = { url: 'http://127.0.0.1:7391/mcp', headers: { Authorization: 'Bearer gh_property' } };

function roundTrip(editor: ConfigFormatEditor, text: string, location: EntryLocation, entry: JsonObject): void {
  const connected = editEntry(editor, text, location, entry); // proves: exactly the old document + our entry
  const back = editEntry(editor, connected, location, undefined);
  expect(back).toBe(text);
}

describe('editors, for generated documents', () => {
  it('JSON in any indentation: add then remove gives back the bytes', () => {
    const location: EntryLocation = { container: ['mcpServers'], name: 'gatehouse', shape: 'map' };
    fc.assert(
      fc.property(document('mcpServers'), fc.constantFrom(2, 4, '\t'), ({ value, eol }, indent) => {
        const text = JSON.stringify(value, null, indent).replace(/\n/g, eol) + eol;
        roundTrip(jsonEditor({ strict: true, clientName: 'test' }), text, location, ENTRY);
      }),
      { numRuns: 150 },
    );
  });

  it('YAML, block style: add then remove gives back the bytes', () => {
    const location: EntryLocation = { container: ['extensions'], name: 'gatehouse', shape: 'map' };
    fc.assert(
      fc.property(document('extensions'), fc.constantFrom(2, 4), ({ value, eol }, indent) => {
        fc.pre(Object.keys(value.extensions as object).length > 0); // an empty map is written `{}`, see goose.flow-empty
        const text = YAML.stringify(value, { indent }).replace(/\n/g, eol);
        roundTrip(yamlEditor(), text, location, ENTRY);
      }),
      { numRuns: 100 },
    );
  });

  it('TOML: add then remove gives back the bytes', () => {
    const location: EntryLocation = { container: ['mcp_servers'], name: 'gatehouse', shape: 'map' };
    fc.assert(
      fc.property(document('mcp_servers'), ({ value, eol }) => {
        const text = tomlStringify(value).replace(/\n/g, eol);
        roundTrip(tomlEditor(), text, location, { url: ENTRY.url, http_headers: ENTRY.headers });
      }),
      { numRuns: 100 },
    );
  });
});

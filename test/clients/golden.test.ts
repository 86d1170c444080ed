import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientConnections } from '../../src-main/core/clients/index.ts';
import { fixedTokens, LAYOUTS, tempHome, TEST_LAUNCHER, type TempHome } from './support/temp-home.ts';

/**
 * Golden files: test/fixtures/clients/<client>.<case>.input.<ext> is a user's file as found (none
 * for "missing"), <client>.<case>.expected.<ext> exactly what connect must write. Run with
 * UPDATE_GOLDEN=1 to rewrite the expected files, then review every byte of the diff.
 */
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/clients');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

type Case = { client: string; name: string; input?: string; expected: string };

async function cases(): Promise<Case[]> {
  const files = await fs.readdir(FIXTURES);
  const found = new Map<string, Case>();
  for (const file of files) {
    const match = /^([a-z-]+)\.(.+)\.(input|expected)\.[a-z]+$/.exec(file);
    if (!match) continue;
    const [, client, name, kind] = match;
    const key = `${client}.${name}`;
    const entry = found.get(key) ?? { client: client!, name: name!, expected: file.replace('.input.', '.expected.') };
    if (kind === 'input') entry.input = file;
    found.set(key, entry);
  }
  return [...found.values()].sort((a, b) => `${a.client}.${a.name}`.localeCompare(`${b.client}.${b.name}`));
}

const ALL = await cases();

let home: TempHome | undefined;
afterEach(async () => {
  await home?.close();
  home = undefined;
});

async function setUp(layout: (typeof LAYOUTS)[number], c: Case) {
  home = await tempHome(layout);
  const connections = new ClientConnections({
    host: home.host,
    dataDir: home.dataDir,
    ...fixedTokens,
    bridgeLauncher: TEST_LAUNCHER,
  });
  const file = (await connections.status(c.client)).file;
  const input = c.input ? await fs.readFile(path.join(FIXTURES, c.input)) : undefined;
  if (input) {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, input);
  }
  return { connections, file, input };
}

describe.each(LAYOUTS)('%s layout', (layout) => {
  it.each(ALL.map((c) => [`${c.client} (${c.name})`, c] as const))(
    '%s: connect writes exactly the golden file',
    async (_label, c) => {
      const { connections, file } = await setUp(layout, c);
      const result = await connections.connect(c.client);
      expect(result.changed).toBe(true);
      const written = await fs.readFile(file);
      const expectedFile = path.join(FIXTURES, c.expected);
      if (UPDATE && layout === 'linux') await fs.writeFile(expectedFile, written);
      expect(written.toString('utf8')).toBe((await fs.readFile(expectedFile)).toString('utf8'));
      expect(written.equals(await fs.readFile(expectedFile))).toBe(true);

      const again = await connections.connect(c.client);
      expect(again.changed).toBe(false);
      expect((await connections.status(c.client)).state).toBe('connected');
    },
  );

  it.each(ALL.map((c) => [`${c.client} (${c.name})`, c] as const))(
    '%s: disconnect right after connect gives back the original bytes',
    async (_label, c) => {
      const { connections, file, input } = await setUp(layout, c);
      await connections.connect(c.client);
      const result = await connections.disconnect(c.client);
      expect(result.action).toBe('restored');
      if (input) expect((await fs.readFile(file)).equals(input)).toBe(true);
      else await expect(fs.access(file)).rejects.toThrow();
      expect((await connections.status(c.client)).state).not.toBe('connected');
    },
  );

  it.each(ALL.filter((c) => c.input).map((c) => [`${c.client} (${c.name})`, c] as const))(
    '%s: after the user edits the file, disconnect removes only our entry',
    async (_label, c) => {
      const { connections, file, input } = await setUp(layout, c);
      await connections.connect(c.client);
      // The user's own change: one more line break at the end, valid in every format.
      const eol = input!.includes('\r\n') ? '\r\n' : '\n';
      await fs.appendFile(file, eol);
      const result = await connections.disconnect(c.client);
      expect(result.action).toBe('removed');
      // Exactly the user's file plus their edit, unless a .removed. golden pins a documented difference
      // (an entry of an older Gatehouse that we replaced; whitespace around a file end we changed).
      const removed = path.join(FIXTURES, c.expected.replace('.expected.', '.removed.'));
      const actual = await fs.readFile(file);
      const pinned = await fs.readFile(removed).catch(() => undefined);
      if (UPDATE && layout === 'linux' && !actual.equals(Buffer.concat([input!, Buffer.from(eol)])))
        await fs.writeFile(removed, actual);
      const expected = pinned ?? Buffer.concat([input!, Buffer.from(eol)]);
      expect(actual.toString('utf8')).toBe(expected.toString('utf8'));
    },
  );
});

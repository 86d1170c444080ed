import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EncryptedSecretStore,
  FileSecretStore,
  SecretStoreError,
  openHeadlessSecretStore,
} from '../../src-main/core/secrets/index.ts';
import type { SecretBox } from '../../src-main/core/secrets/index.ts';
import { makeTempDir } from './fixtures.ts';

let dataDir: string | undefined;
afterEach(async () => {
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

/**
 * Stands in for Electron's safeStorage (which needs the Electron binary): real AES-256-GCM with a
 * key held in memory, the "key version" byte lets a test rotate keys like the OS would.
 */
function aesBox(keys: Buffer[], options: { current?: number } = {}): SecretBox & { current: number } {
  const box = {
    current: options.current ?? keys.length - 1,
    async encrypt(plainText: string) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keys[box.current]!, iv);
      const data = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from([box.current]), iv, cipher.getAuthTag(), data]);
    },
    async decrypt(cipherText: Buffer) {
      const version = cipherText[0]!;
      const decipher = createDecipheriv('aes-256-gcm', keys[version]!, cipherText.subarray(1, 13));
      decipher.setAuthTag(cipherText.subarray(13, 29));
      const result = Buffer.concat([decipher.update(cipherText.subarray(29)), decipher.final()]).toString('utf8');
      return { result, shouldReEncrypt: version !== box.current };
    },
  };
  return box;
}

describe('FileSecretStore', () => {
  it('keeps secrets in a 0600 JSON file that a new instance reads back', async () => {
    dataDir = await makeTempDir();
    const store = new FileSecretStore({ dataDir });
    expect(await store.get('a')).toBeUndefined();
    await store.set('a', 'one');
    await store.set('b', 'two');
    await store.delete('a');

    expect(store.file).toBe(path.join(dataDir, 'secrets.json'));
    expect((await fs.stat(store.file)).mode & 0o777).toBe(0o600);
    const again = new FileSecretStore({ dataDir });
    expect(await again.get('a')).toBeUndefined();
    expect(await again.get('b')).toBe('two');
    expect(JSON.parse(await fs.readFile(store.file, 'utf8'))).toEqual({ version: 1, secrets: { b: 'two' } });
  });

  it('says it is not protected, with a warning the UI can show', async () => {
    dataDir = await makeTempDir();
    const description = openHeadlessSecretStore(dataDir).describe();
    expect(description).toMatchObject({ kind: 'file', protected: false, location: path.join(dataDir, 'secrets.json') });
    expect(description.warning).toMatch(/unencrypted/);
  });

  it('loses no update when many writes run at once', async () => {
    dataDir = await makeTempDir();
    const store = new FileSecretStore({ dataDir });
    await Promise.all(Array.from({ length: 25 }, (_, i) => store.set(`key${i}`, `value${i}`)));
    const again = new FileSecretStore({ dataDir });
    for (let i = 0; i < 25; i++) expect(await again.get(`key${i}`)).toBe(`value${i}`);
  });

  it('sees a change written by another process', async () => {
    dataDir = await makeTempDir();
    const mine = new FileSecretStore({ dataDir });
    const theirs = new FileSecretStore({ dataDir });
    await mine.set('token', 'old');
    expect(await mine.get('token')).toBe('old');
    await theirs.set('token', 'new');
    expect(await mine.get('token')).toBe('new');
  });

  it('tightens a file someone made readable by others', async () => {
    dataDir = await makeTempDir();
    const store = new FileSecretStore({ dataDir });
    await store.set('a', 'one');
    await fs.chmod(store.file, 0o644);
    expect(await new FileSecretStore({ dataDir }).get('a')).toBe('one');
    expect((await fs.stat(store.file)).mode & 0o777).toBe(0o600);
  });

  it('reports a damaged file with its path, and a new sign-in replaces it', async () => {
    dataDir = await makeTempDir();
    const store = new FileSecretStore({ dataDir });
    await fs.writeFile(store.file, '{ not json', { mode: 0o600 });
    const error = await store.get('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect(error).toMatchObject({ code: 'secret_store_corrupt' });
    expect((error as Error).message).toContain(store.file);
    await store.set('a', 'fresh');
    expect(await store.get('a')).toBe('fresh');
    expect(await fs.readFile(`${store.file}.unreadable`, 'utf8')).toBe('{ not json');
  });
});

describe('EncryptedSecretStore', () => {
  it('writes only ciphertext, 0600, and reads it back', async () => {
    dataDir = await makeTempDir();
    const box = aesBox([randomBytes(32)]);
    const store = new EncryptedSecretStore({ dataDir, box, protected: true });
    await store.set('auth.session', 'refresh-token-value');

    const raw = await fs.readFile(store.file);
    expect(raw.toString('latin1')).not.toContain('refresh-token-value');
    expect((await fs.stat(store.file)).mode & 0o777).toBe(0o600);
    expect(await new EncryptedSecretStore({ dataDir, box, protected: true }).get('auth.session')).toBe(
      'refresh-token-value',
    );
    expect(store.describe()).toEqual({
      kind: 'encrypted',
      protected: true,
      location: path.join(dataDir, 'secrets.enc'),
    });
  });

  it('warns when the box has no OS protection (safeStorage basic_text)', async () => {
    dataDir = await makeTempDir();
    const store = new EncryptedSecretStore({ dataDir, box: aesBox([randomBytes(32)]), protected: false });
    expect(store.describe()).toMatchObject({ protected: false, warning: expect.stringMatching(/keyring/) });
  });

  it('re-encrypts with the new key when the box asks for it', async () => {
    dataDir = await makeTempDir();
    const box = aesBox([randomBytes(32), randomBytes(32)], { current: 0 });
    await new EncryptedSecretStore({ dataDir, box, protected: true }).set('k', 'v');
    box.current = 1;
    const store = new EncryptedSecretStore({ dataDir, box, protected: true });
    expect(await store.get('k')).toBe('v');
    expect((await fs.readFile(store.file))[0]).toBe(1);
  });

  it('cannot be read with another key; signing in again starts over', async () => {
    dataDir = await makeTempDir();
    await new EncryptedSecretStore({ dataDir, box: aesBox([randomBytes(32)]), protected: true }).set('k', 'v');
    const store = new EncryptedSecretStore({ dataDir, box: aesBox([randomBytes(32)]), protected: true });
    await expect(store.get('k')).rejects.toMatchObject({ code: 'secret_store_decrypt_failed' });
    await store.set('k2', 'v2');
    expect(await store.get('k2')).toBe('v2');
    expect(await store.get('k')).toBeUndefined();
  });
});

import path from 'node:path';
import { SecretFile } from './secret-file.ts';
import type { SecretStore, SecretStoreDescription } from './secret-store.ts';

/**
 * Secrets in a plain JSON file (mode 0600) in the data dir: the headless fallback when no OS
 * keyring is usable. Only file permissions protect it, which `describe()` says so the UI can warn.
 */
export class FileSecretStore implements SecretStore {
  readonly file: string;
  private readonly secrets: SecretFile;

  constructor(options: { dataDir: string; fileName?: string }) {
    this.file = path.join(options.dataDir, options.fileName ?? 'secrets.json');
    this.secrets = new SecretFile(this.file, {
      encode: async (json) => json + '\n',
      decode: async (bytes) => ({ json: bytes.toString('utf8'), rewrite: false }),
      describeFailure: (file) => `Cannot read ${file}.`,
    });
  }

  get(key: string): Promise<string | undefined> {
    return this.secrets.get(checkKey(key));
  }

  set(key: string, value: string): Promise<void> {
    return this.secrets.set(checkKey(key), value);
  }

  delete(key: string): Promise<void> {
    return this.secrets.delete(checkKey(key));
  }

  describe(): SecretStoreDescription {
    return {
      kind: 'file',
      protected: false,
      location: this.file,
      warning: `Sign-in tokens are stored unencrypted in ${this.file}, readable only by your user account. Anyone with access to your account or its backups can use them.`,
    };
  }
}

export function checkKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) {
    throw new TypeError(`Secret keys are non-empty strings of at most 200 characters, got ${JSON.stringify(key)}`);
  }
  return key;
}

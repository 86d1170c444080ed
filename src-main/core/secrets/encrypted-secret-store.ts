import path from 'node:path';
import { checkKey } from './file-secret-store.ts';
import { SecretFile } from './secret-file.ts';
import type { SecretBox, SecretStore, SecretStoreDescription } from './secret-store.ts';

export type EncryptedSecretStoreOptions = {
  dataDir: string;
  box: SecretBox;
  /**
   * Whether the box's key is protected by the OS. Electron's safeStorage on Linux without a
   * keyring falls back to a hard-coded key (`getSelectedStorageBackend() === 'basic_text'`): false then.
   */
  protected: boolean;
  fileName?: string;
};

/** Secrets encrypted as one document by an OS-backed box (Electron safeStorage in the app). */
export class EncryptedSecretStore implements SecretStore {
  readonly file: string;
  private readonly secrets: SecretFile;
  private readonly isProtected: boolean;

  constructor(options: EncryptedSecretStoreOptions) {
    this.file = path.join(options.dataDir, options.fileName ?? 'secrets.enc');
    this.isProtected = options.protected;
    const { box } = options;
    this.secrets = new SecretFile(this.file, {
      encode: (json) => box.encrypt(json),
      decode: async (bytes) => {
        const { result, shouldReEncrypt } = await box.decrypt(bytes);
        return { json: result, rewrite: shouldReEncrypt };
      },
      describeFailure: (file) =>
        `Cannot decrypt ${file}: the OS key that protected it is no longer available (new keychain, other user, restored backup). Sign in again to replace it.`,
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
      kind: 'encrypted',
      protected: this.isProtected,
      location: this.file,
      ...(!this.isProtected && {
        warning: `No OS keyring is available, so sign-in tokens in ${this.file} are encrypted with a built-in key only. Install and unlock a keyring (GNOME Keyring, KWallet) to protect them.`,
      }),
    };
  }
}

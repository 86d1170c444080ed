/**
 * Where Gatehouse keeps secrets (the IdP refresh token, cached sign-in claims): behind one small
 * interface so the core runs the same in the Electron app (safeStorage), the CLI and tests.
 */
export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** What protects the secrets, so the UI can warn when nothing but file permissions does. */
  describe(): SecretStoreDescription;
}

export type SecretStoreDescription = {
  kind: 'file' | 'encrypted';
  /** True when the OS protects the secrets beyond file permissions (Keychain, DPAPI, libsecret). */
  protected: boolean;
  /** The file the secrets live in. */
  location: string;
  /** Shown to the user when `protected` is false. */
  warning?: string;
};

/**
 * Encryption by the OS, as Electron's safeStorage offers it (`encryptStringAsync`,
 * `decryptStringAsync`). `shouldReEncrypt` asks for the data to be written again with a newer key.
 */
export interface SecretBox {
  encrypt(plainText: string): Promise<Buffer>;
  decrypt(cipherText: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }>;
}

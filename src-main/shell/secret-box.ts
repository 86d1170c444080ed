import { safeStorage } from 'electron';
import { EncryptedSecretStore } from '../core/secrets/index.ts';
import type { SecretStore } from '../core/secrets/index.ts';

/**
 * The refresh token and claims cache, encrypted with the OS key through safeStorage (Keychain,
 * DPAPI, libsecret/kwallet). On Linux without a keyring safeStorage falls back to a built-in key;
 * the store then says it is unprotected so the window can warn. After `ready` only.
 */
export function openSafeStorageSecretStore(dataDir: string): SecretStore {
  const unprotected = process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text';
  return new EncryptedSecretStore({
    dataDir,
    protected: !unprotected,
    box: {
      encrypt: (plainText) => safeStorage.encryptStringAsync(plainText),
      decrypt: (cipherText) => safeStorage.decryptStringAsync(cipherText),
    },
  });
}

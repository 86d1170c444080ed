import { FileSecretStore } from './file-secret-store.ts';
import type { SecretStore } from './secret-store.ts';

/**
 * The secret store for the CLI and headless `gatehouse serve`: a 0600 file in the data dir.
 *
 * An OS keyring would be better where one exists. @napi-rs/keyring (no native rebuild needed) was
 * tried on the headless Linux build machine and fails with "Couldn't access platform storage:
 * AccessDenied" (no Secret Service), so it is not wired in; the app itself uses Electron safeStorage.
 */
export function openHeadlessSecretStore(dataDir: string): SecretStore {
  return new FileSecretStore({ dataDir });
}

export { EncryptedSecretStore } from './encrypted-secret-store.ts';
export type { EncryptedSecretStoreOptions } from './encrypted-secret-store.ts';
export { SecretStoreError } from './errors.ts';
export type { SecretStoreErrorCode } from './errors.ts';
export { FileSecretStore } from './file-secret-store.ts';
export { openHeadlessSecretStore } from './headless.ts';
export type { SecretBox, SecretStore, SecretStoreDescription } from './secret-store.ts';

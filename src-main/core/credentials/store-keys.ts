// Where credentials live in the secret store. The store cannot list its keys, so each family keeps
// an index entry (names only, never values) for sign-out and revocation to find what to delete.

/** An org-provided secret by its policy `secretRef` (also read by identity.sharedSecret). */
export function orgSecretKey(ref: string): string {
  return `org-secret:${ref}`;
}
export const ORG_SECRET_INDEX = 'org-secrets:index';

/** A value the user entered for one server's header or environment variable. */
export function userCredentialKey(server: string, name: string): string {
  return `user-credential:${server}:${name}`;
}
export const USER_CREDENTIAL_INDEX = 'user-credentials:index';

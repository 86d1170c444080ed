export { createAuthClient, DEFAULT_SCOPE } from './auth-client.ts';
export type {
  AuthClient,
  AuthClientOptions,
  DeviceLoginOptions,
  DevicePrompt,
  LoginOptions,
  LogoutResult,
  SessionEvent,
  SessionInfo,
  TokenExchangeRequest,
  TokenRequest,
} from './auth-client.ts';
export { AuthError } from './errors.ts';
export type { AuthErrorCode } from './errors.ts';
export { readSignInStatus } from './status.ts';
export type { SignInStatus } from './status.ts';
export { openInSystemBrowser } from './system-browser.ts';
export { startLoopbackRedirect } from './loopback-redirect.ts';
export type { LoopbackRedirect } from './loopback-redirect.ts';
export type { SignedInUser } from './user.ts';

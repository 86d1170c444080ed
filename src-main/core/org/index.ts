export { OrgMode } from './org-mode.ts';
export type { OrgModeDeps, OrgStatus } from './org-mode.ts';
export { followSignInNeeded } from './sign-in-needed.ts';
export type { SignInNeeded } from './sign-in-needed.ts';

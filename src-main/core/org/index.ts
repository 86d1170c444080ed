export { OrgMode } from './org-mode.ts';
export type { OrgModeDeps, OrgStatus } from './org-mode.ts';

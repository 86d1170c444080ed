// The real test IdP (oidc-provider, in-process) lives with the demo so the demo org can run the
// same one; tests import it from here.
export { DEFAULT_IDP_USERS, startIdp as startTestIdp } from '../../src-main/demo/idp.ts';
export type { Idp as TestIdp, IdpOptions as TestIdpOptions, IdpUser as TestIdpUser } from '../../src-main/demo/idp.ts';
export { browseHeadless } from './idp-browser.ts';
export type { HeadlessBrowseOptions, HeadlessBrowseResult } from './idp-browser.ts';

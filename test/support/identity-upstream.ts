// The identity-verifying upstream lives with the demo org (its "identity echo" server); tests use
// the same one.
export { startIdentityEcho as startIdentityUpstream } from '../../src-main/demo/identity-echo.ts';

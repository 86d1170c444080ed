// The embedded demo org (`gatehouse serve --demo`): a real IdP, the reference org server with a
// sample policy, real MCP servers and Gatehouse in org mode, in one process, on loopback.
export { startDemoOrg } from './demo-org.ts';
export type { DemoOrg, DemoOrgOptions } from './demo-org.ts';
export { demoBanner, DEMO_READY_LINE } from './demo-banner.ts';
export { defaultDemoDataDir } from './demo-files.ts';
export { startAppGateway } from './app-demo.ts';
export type { AppGateway, AppGatewayOptions } from './app-demo.ts';
export type { DemoServerLauncher, DemoServerName } from './demo-policy.ts';

export { ClientConnections } from './client-connections.ts';
export type { ClientConnectionsDeps, ClientStatus } from './client-connections.ts';
export { CLIENTS } from './client-table.ts';
export { ClientConfigError } from './errors.ts';
export { hostFromProcess } from './host.ts';
export type { HostEnvironment } from './host.ts';
export { localTokenDeps } from './local-token-deps.ts';
export type { BridgeLauncher } from './bridge-launcher.ts';

export { ClientConnections, gatewayUrl } from './client-connections.ts';
export type {
  ClientConnectionsDeps,
  ClientState,
  ClientStatus,
  ConnectResult,
  DisconnectResult,
  EntryOptions,
} from './client-connections.ts';
export { CLIENTS, findClient } from './client-table.ts';
export type { ClientDefinition, ConfigFormat } from './client-table.ts';
export { defaultBridgeLauncher } from './bridge-launcher.ts';
export type { BridgeLauncher } from './bridge-launcher.ts';
export { ClientConfigError } from './errors.ts';
export type { ClientConfigErrorCode } from './errors.ts';
export { hostFromProcess } from './host.ts';
export type { HostEnvironment } from './host.ts';
export { localTokenDeps } from './local-token-deps.ts';

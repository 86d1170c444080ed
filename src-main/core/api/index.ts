// The API contract and its adapters. The window imports the browser-safe files directly
// (contract.ts, client.ts, http-client.ts, ipc.ts, window-url.ts, audit-filter.ts, errors.ts);
// this index is for the Node side: the gateway, the CLI and the Electron shell.
export { gatewayMethods, apiMethodNames, GatewayEventSchema } from './contract.ts';
export type {
  GatewayApi,
  ApiMethod,
  MethodInput,
  MethodOutput,
  GatewayEvent,
  GatewayEventListener,
  ChangeTopic,
  Status,
  User,
  ServerInfo,
  ServerState,
  ToolInfo,
  AuditRecord,
  AuditFilter,
  AuditQuery,
  AuditPage,
  ClientInfo,
  ClientState,
  ClientAction,
  ClientChange,
  Settings,
  SettingsChange,
  CredentialInfo,
  ConnectionInfo,
} from './contract.ts';
export { ApiError } from './errors.ts';
export type { ApiErrorBody, ApiErrorCode } from './errors.ts';
export { invokeApiMethod } from './invoke.ts';
export type { WireResult } from './invoke.ts';
export { createApiClient } from './client.ts';
export type { ApiTransport } from './client.ts';
export { createHttpTransport } from './http-client.ts';
export { createApiHandler } from './http.ts';
export type { ApiHandler, ApiHandlerOptions } from './http.ts';
export { createUiHandler } from './ui-handler.ts';
export type { NodeHandler } from './ui-handler.ts';
export { resolveUiFile } from './static-files.ts';
export { WINDOW_CSP } from './csp.ts';
export { ipcChannels, IPC_EVENT_CHANNEL } from './ipc.ts';
export type { GatehouseBridge } from './ipc.ts';
export { windowUrl } from './window-url.ts';
export { windowRoutes, WINDOW_CLIENT_ID } from './window-routes.ts';
export { matchesAuditFilter } from './audit-filter.ts';

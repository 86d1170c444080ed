export { DEFAULT_PORT, defaultDataDir } from './paths.ts';
export { ConfigError, loadGatewayConfig, parseGatewayConfig } from './gateway-config.ts';
export type { RemoteServerConfig, ServerConfig, StdioServerConfig } from './gateway-config.ts';

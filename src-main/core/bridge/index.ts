export { runStdioBridge } from './stdio-http-bridge.ts';
export type { StdioBridgeOptions } from './stdio-http-bridge.ts';

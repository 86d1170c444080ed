export { runStdioBridge } from './stdio-http-bridge.ts';

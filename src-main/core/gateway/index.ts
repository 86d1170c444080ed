export { createGateway } from './create-gateway.ts';
export type { DemoHooks, Gateway, GatewayDeps } from './create-gateway.ts';
export { startGatewayForUser } from './start-for-user.ts';
export type { UserGatewayOptions } from './start-for-user.ts';
export { tuneV8ForServing } from './v8-tuning.ts';

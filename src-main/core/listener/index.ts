export { Listener } from './listener.ts';
export type { ListenerOptions, RouteHandler } from './listener.ts';

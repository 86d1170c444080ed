// The Electron IPC side of the contract: channel names derived from the method table (never
// written twice), and the shape the preload exposes as `window.gatehouse`. Browser-safe.
import type { ApiTransport } from './client.ts';
import { apiMethodNames } from './contract.ts';
import type { ApiMethod } from './contract.ts';
import type { WireResult } from './invoke.ts';

export const ipcChannels = Object.fromEntries(
  apiMethodNames.map((method) => [method, `gatehouse:api:${method}`]),
) as Record<ApiMethod, string>;

/** Main → window: every GatewayEvent while the window is open. */
export const IPC_EVENT_CHANNEL = 'gatehouse:event';

/**
 * `window.gatehouse` in Electron: exactly the contract's methods (each answers a WireResult, since
 * errors thrown across contextBridge lose their code) plus `subscribe`.
 */
export type GatehouseBridge = { [M in ApiMethod]: (input?: unknown) => Promise<WireResult> } & {
  subscribe(listener: (event: unknown) => void): () => void;
};

export function createBridgeTransport(bridge: GatehouseBridge): ApiTransport {
  return {
    call: (method, input) => bridge[method](input),
    subscribe: (listener) => {
      const stop = bridge.subscribe(listener);
      // IPC cannot drop like an HTTP stream: it is open as soon as it is subscribed.
      queueMicrotask(() => listener({ type: 'stream', state: 'open' }));
      return stop;
    },
  };
}

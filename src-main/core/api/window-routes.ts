import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayApi } from './contract.ts';
import { createApiHandler } from './http.ts';
import type { ApiHandlerOptions } from './http.ts';
import { createUiHandler } from './ui-handler.ts';
import type { NodeHandler } from './ui-handler.ts';

/** The local client id of the window's token: `gatehouse serve` prints a /ui/ link carrying it. */
export const WINDOW_CLIENT_ID = 'window';

/** The built window next to the sources or the compiled code: <repo or app>/dist-renderer. */
function defaultRendererRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist-renderer');
}

/**
 * The listener routes that serve the window in headless mode, in the shape of the listener's
 * `routes` option: the bundle at /ui (public: a first page load cannot carry a header; it holds no
 * secret) and the API at /api/ (behind the local token, and only the window's token by default).
 * `close()` ends open event streams; call it before closing the listener.
 */
export function windowRoutes(
  api: GatewayApi,
  options: { rendererRoot?: string } & ApiHandlerOptions = {},
): { routes: { prefix: string; handler: NodeHandler; public?: boolean }[]; close(): void } {
  const { rendererRoot = defaultRendererRoot(), ...apiOptions } = options;
  const apiHandler = createApiHandler(api, { allowedClients: [WINDOW_CLIENT_ID], ...apiOptions });
  return {
    routes: [
      { prefix: '/ui', handler: createUiHandler({ root: rendererRoot }), public: true },
      { prefix: '/api/', handler: apiHandler },
    ],
    close: () => apiHandler.close(),
  };
}

// Picks how this window reaches the core: the preload bridge in Electron, or HTTP to the local
// listener that served the page (headless mode, browser tests). Both give the same GatewayApi.
import { createApiClient } from '../src-main/core/api/client.ts';
import type { GatewayApi } from '../src-main/core/api/contract.ts';
import { createHttpTransport } from '../src-main/core/api/http-client.ts';
import { createBridgeTransport } from '../src-main/core/api/ipc.ts';
import type { GatehouseBridge } from '../src-main/core/api/ipc.ts';
import { tokenFromFragment } from '../src-main/core/api/window-url.ts';

const TOKEN_KEY = 'gatehouse.windowToken';

export type Connection = { api: GatewayApi; via: 'electron' | 'http'; hasToken: boolean };

export function connectToGateway(): Connection {
  const bridge = (window as { gatehouse?: GatehouseBridge }).gatehouse;
  if (bridge)
    return {
      api: createApiClient(createBridgeTransport(bridge), { onInvalidEvent: warnInvalid }),
      via: 'electron',
      hasToken: true,
    };

  // The token arrives once in the fragment (never sent to the server); keep it for reloads of this
  // tab only, and take it out of the address bar so it is not bookmarked or shared by accident.
  const fromFragment = tokenFromFragment(location.hash);
  if (fromFragment) {
    sessionStorage.setItem(TOKEN_KEY, fromFragment);
    history.replaceState(null, '', location.pathname + location.search);
  }
  const token = fromFragment ?? sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  const transport = createHttpTransport({ baseUrl: location.origin, ...(token && { token }) });
  return {
    api: createApiClient(transport, { onInvalidEvent: warnInvalid }),
    via: 'http',
    hasToken: token !== undefined,
  };
}

/** Opening the token link in a tab that is already showing the window changes only the hash. */
export function reloadWhenTokenArrives(): void {
  window.addEventListener('hashchange', () => {
    if (tokenFromFragment(location.hash)) location.reload();
  });
}

function warnInvalid(event: unknown): void {
  console.warn('Gatehouse sent an event this window does not understand; it was ignored.', event);
}

// Serves the built window and the API over an in-memory GatewayApi, behind a bearer check like the
// gateway listener's, for browser tests of the window's own behaviour.
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiHandler, createUiHandler, windowUrl } from '../../src-main/core/api/index.ts';
import { rendererDist } from '../../scripts/renderer-build.ts';
import type { InMemoryApi } from './in-memory-api.ts';

export type WindowServer = { origin: string; url: string; close(): Promise<void> };

export async function serveWindow(
  api: InMemoryApi,
  token = 'gh_test-window-token',
  options: { maxBufferedEventBytes?: number } = {},
): Promise<WindowServer> {
  const handler = createApiHandler(api, options);
  const ui = createUiHandler({ root: rendererDist });
  const app = express();
  app.use('/ui', (req, res) => ui(req, res));
  app.use('/api', (req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) return void res.status(401).json({ error: 'unauthorized' });
    handler(req, res, 'window');
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: windowUrl(origin, token),
    async close() {
      handler.close();
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
    },
  };
}

import express from 'express';
import fs from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createApiClient,
  createApiHandler,
  createHttpTransport,
  createUiHandler,
  WINDOW_CSP,
} from '../../src-main/core/api/index.ts';
import type { ApiHandler, GatewayEvent } from '../../src-main/core/api/index.ts';
import { createInMemoryApi } from './in-memory-api.ts';
import type { InMemoryApi } from './in-memory-api.ts';

type Harness = { origin: string; api: InMemoryApi; handler: ApiHandler; server: Server; uiRoot: string };
const open: Harness[] = [];

/** The adapter mounted the way the gateway's listener mounts it: express, under /api and /ui. */
async function start(options: { port?: number; api?: InMemoryApi; withJsonParser?: boolean } = {}): Promise<Harness> {
  const api = options.api ?? createInMemoryApi();
  const handler = createApiHandler(api, { heartbeatMs: 50 });
  const uiRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'gatehouse-ui-'));
  const app = express();
  if (options.withJsonParser) app.use(express.json());
  app.use('/api', (req, res) => handler(req, res, 'window'));
  const ui = createUiHandler({ root: uiRoot });
  app.use('/ui', (req, res) => ui(req, res));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(options.port ?? 0, '127.0.0.1', () => resolve(s));
  });
  const harness = {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    api,
    handler,
    server,
    uiRoot,
  };
  open.push(harness);
  return harness;
}

async function stop(h: Harness): Promise<void> {
  h.handler.close();
  const closed = new Promise<void>((resolve) => h.server.close(() => resolve()));
  h.server.closeAllConnections();
  await closed;
  await fs.rm(h.uiRoot, { recursive: true, force: true });
}

afterEach(async () => {
  for (const h of open.splice(0)) await stop(h).catch(() => {});
});

function post(origin: string, route: string, body: string, contentType = 'application/json') {
  return fetch(`${origin}/api/${route}`, { method: 'POST', headers: { 'Content-Type': contentType }, body });
}

describe('POST /api/<method>', () => {
  it('serves every method through the typed client', async () => {
    const { origin } = await start();
    const client = createApiClient(createHttpTransport({ baseUrl: origin }));
    expect((await client.getStatus()).user?.email).toBe('alice@acme.example');
    expect((await client.listServers()).map((s) => s.name)).toContain('memory');
    expect(await client.setServerEnabled({ name: 'memory', enabled: false })).toMatchObject({
      enabled: false,
      state: 'disabled',
    });
    expect((await client.listTools({ server: 'everything' })).find((t) => t.name === 'printEnv')).toMatchObject({
      allowed: false,
    });
  });

  it('answers 400 with the zod issue on bad input', async () => {
    const { origin } = await start();
    const response = await post(origin, 'setServerEnabled', JSON.stringify({ name: 'memory' }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; issues: { path: string[] }[] } };
    expect(body.error.code).toBe('invalid-input');
    expect(body.error.issues[0]?.path).toEqual(['enabled']);
  });

  it('works behind express.json() as well as on a raw body', async () => {
    const { origin } = await start({ withJsonParser: true });
    const response = await post(origin, 'setServerEnabled', JSON.stringify({ name: 'memory', enabled: false }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ name: 'memory', enabled: false });
  });

  it('maps a core error code to its HTTP status in one place', async () => {
    const { origin } = await start();
    const locked = await post(origin, 'setServerEnabled', JSON.stringify({ name: 'github', enabled: false }));
    expect(locked.status).toBe(409);
    expect(await locked.json()).toMatchObject({ error: { code: 'locked-by-policy' } });
    const missing = await post(origin, 'listTools', JSON.stringify({ server: 'nope' }));
    expect(missing.status).toBe(404);
  });

  it('refuses unknown methods, other verbs, non-JSON bodies, bad JSON and huge bodies', async () => {
    const { origin } = await start();
    const unknown = await post(origin, 'dropTables', '{}');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(/Methods: getStatus/);
    expect((await fetch(`${origin}/api/getStatus`)).status).toBe(405);
    expect((await post(origin, 'getStatus', 'a=1', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await post(origin, 'getStatus', '{nope')).status).toBe(400);
    expect(
      (await post(origin, 'queryAudit', JSON.stringify({ filter: { text: 'x'.repeat(2 * 1024 * 1024) } }))).status,
    ).toBe(413);
  });

  it('does not treat an empty body as an error for methods that take no input', async () => {
    const { origin } = await start();
    const response = await fetch(`${origin}/api/listClients`, { method: 'POST' });
    expect(response.status).toBe(200);
  });

  it('names the gateway as unreachable when nothing listens', async () => {
    const h = await start();
    await stop(h);
    open.splice(open.indexOf(h), 1);
    const client = createApiClient(createHttpTransport({ baseUrl: h.origin }));
    await expect(client.getStatus()).rejects.toMatchObject({
      code: 'unreachable',
      message: expect.stringContaining(h.origin),
    });
  });
});

it("refuses a local token that is not the window's when told which clients may use the API", async () => {
  const api = createInMemoryApi();
  const handler = createApiHandler(api, { allowedClients: ['window'] });
  const app = express();
  app.use('/api', (req, res) => handler(req, res, String(req.headers['x-test-client'])));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const as = (client: string) =>
      fetch(`${origin}/api/listServers`, { method: 'POST', headers: { 'x-test-client': client } });
    const cursor = await as('cursor');
    expect(cursor.status).toBe(403);
    expect(await cursor.json()).toMatchObject({
      error: { code: 'forbidden', message: expect.stringContaining("'cursor'") },
    });
    expect((await as('window')).status).toBe(200);
  } finally {
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  }
});

describe('GET /api/events', () => {
  it('streams audit records and change notices to a fetch-based subscriber, and stops on unsubscribe', async () => {
    const { origin, api } = await start();
    const client = createApiClient(createHttpTransport({ baseUrl: origin }));
    const events: GatewayEvent[] = [];
    const stopListening = client.subscribe((e) => events.push(e));
    await expect.poll(() => api.listenerCount()).toBe(1);
    const record = api.addRecord({
      server: 'memory',
      name: 'read_graph',
      outcome: 'ok',
      params: { name: 'read_graph', arguments: { a: 'line1\nline2' } },
    });
    api.emit({ type: 'changed', topic: 'servers' });
    await expect.poll(() => events.length).toBe(3);
    expect(events).toEqual([
      { type: 'stream', state: 'open' },
      { type: 'audit', record },
      { type: 'changed', topic: 'servers' },
    ]);
    stopListening();
    await expect.poll(() => api.listenerCount()).toBe(0);
  });

  it('sends the bearer token on the stream, since EventSource could not', async () => {
    const api = createInMemoryApi();
    const handler = createApiHandler(api);
    const app = express();
    const seen: (string | undefined)[] = [];
    app.use('/api', (req, res) => (seen.push(req.headers.authorization), handler(req, res)));
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const stopListening = createApiClient(createHttpTransport({ baseUrl: origin, token: 'gh_secret' })).subscribe(
        () => {},
      );
      await expect.poll(() => api.listenerCount()).toBe(1);
      stopListening();
      expect(seen).toEqual(['Bearer gh_secret']);
    } finally {
      handler.close();
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
    }
  });

  it('says when the stream drops and reconnects when the gateway is back', async () => {
    const first = await start();
    const port = Number(new URL(first.origin).port);
    const client = createApiClient(createHttpTransport({ baseUrl: first.origin, reconnectDelayMs: 20 }));
    const states: string[] = [];
    const stopListening = client.subscribe((e) => e.type === 'stream' && states.push(e.state));
    try {
      await expect.poll(() => states).toEqual(['open']);
      await stop(first);
      open.splice(open.indexOf(first), 1);
      await expect.poll(() => states).toEqual(['open', 'reconnecting']);
      const second = await start({ port });
      await expect.poll(() => second.api.listenerCount(), { timeout: 5000 }).toBe(1);
      expect(states).toEqual(['open', 'reconnecting', 'open']);
    } finally {
      stopListening();
    }
  });

  it('close() ends open streams so the HTTP server can shut down', async () => {
    const h = await start();
    const response = await fetch(`${h.origin}/api/events`);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await expect.poll(() => h.api.listenerCount()).toBe(1);
    h.handler.close();
    const text = await response.text();
    expect(text).toContain(': gatehouse events');
    await expect.poll(() => h.api.listenerCount()).toBe(0);
  });
});

describe('GET /ui/', () => {
  it('serves the built window with a strict CSP and no-cache on index.html', async () => {
    const { origin, uiRoot } = await start();
    await fs.writeFile(
      path.join(uiRoot, 'index.html'),
      '<!doctype html><script type="module" src="./assets/app.js"></script>',
    );
    await fs.mkdir(path.join(uiRoot, 'assets'));
    await fs.writeFile(path.join(uiRoot, 'assets', 'app.js'), 'console.log(1)');
    const index = await fetch(`${origin}/ui/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toBe(WINDOW_CSP);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('x-frame-options')).toBe('DENY');
    const asset = await fetch(`${origin}/ui/assets/app.js`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('redirects /ui to /ui/ so relative asset URLs resolve', async () => {
    const { origin } = await start();
    const response = await fetch(`${origin}/ui`, { redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('/ui/');
  });

  it('says how to build the window when it is missing, and refuses traversal', async () => {
    const { origin } = await start();
    const missing = await fetch(`${origin}/ui/`);
    expect(missing.status).toBe(503);
    expect(await missing.text()).toMatch(/npm run build:renderer/);
    expect((await fetch(`${origin}/ui/%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404);
    expect((await fetch(`${origin}/ui/assets/x.js`, { method: 'POST' })).status).toBe(405);
  });
});

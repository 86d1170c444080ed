import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAuditLog } from '../../src-main/core/audit/index.ts';
import { ClientConnections, localTokenDeps } from '../../src-main/core/clients/index.ts';
import {
  apiMethodNames,
  ApiError,
  createApiClient,
  gatewayMethods,
  GatewayEventSchema,
  invokeApiMethod,
  ipcChannels,
} from '../../src-main/core/api/index.ts';
import type { ApiTransport, GatewayApi, WireResult } from '../../src-main/core/api/index.ts';
import { createInMemoryApi } from './in-memory-api.ts';

describe('the method table', () => {
  it('derives the method names and one IPC channel per method from the same table', () => {
    expect(apiMethodNames).toEqual(Object.keys(gatewayMethods));
    expect(apiMethodNames).toEqual(
      expect.arrayContaining([
        'getStatus',
        'listServers',
        'setServerEnabled',
        'listTools',
        'queryAudit',
        'listClients',
        'previewClientChange',
      ]),
    );
    expect(Object.keys(ipcChannels)).toEqual(apiMethodNames);
    expect(new Set(Object.values(ipcChannels)).size).toBe(apiMethodNames.length);
    expect(ipcChannels.getStatus).toBe('gatehouse:api:getStatus');
  });

  it("reads the audit module's real records and its query pages, keeping every field for the detail pane", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gatehouse-contract-audit-'));
    const log = await openAuditLog({ dir });
    try {
      const written = log.append({
        startedAt: Date.now() - 12,
        server: 'memory',
        method: 'tools/call',
        name: 'read_graph',
        client: { name: 'cursor-vscode', version: '1.0', localTokenId: 'cursor' },
        params: { name: 'read_graph', arguments: { depth: 2 } },
        result: { content: [{ type: 'text', text: 'graph' }] },
        outcome: 'ok',
      });
      const page = gatewayMethods.queryAudit.output.parse(await log.query({ server: 'memory', limit: 10 }));
      expect(page.records).toHaveLength(1);
      expect(page.records[0]).toEqual(written);
      expect(page.records[0]).toMatchObject({
        name: 'read_graph',
        client: { localTokenId: 'cursor' },
        latency: { totalMs: expect.any(Number) },
      });
      expect(Object.keys(page.records[0]!)).toEqual(
        expect.arrayContaining(['schemaVersion', 'hash', 'prevHash', 'redaction']),
      );
      expect(GatewayEventSchema.safeParse({ type: 'audit', record: written }).success).toBe(true);
    } finally {
      await log.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("reads the clients module's real statuses, previews and results", async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'gatehouse-contract-clients-'));
    try {
      await fs.mkdir(path.join(home, '.cursor'));
      const dataDir = path.join(home, 'data');
      const connections = new ClientConnections({
        host: { platform: 'linux', homeDir: home, env: {} },
        dataDir,
        ...localTokenDeps(dataDir),
      });
      const clients = gatewayMethods.listClients.output.parse(await connections.list());
      expect(clients.find((c) => c.id === 'cursor')).toMatchObject({
        installed: true,
        state: 'not-connected',
        file: path.join(home, '.cursor', 'mcp.json'),
      });
      const preview = gatewayMethods.previewClientChange.output.parse(
        await connections.connect('cursor', { dryRun: true }),
      );
      expect(preview).toMatchObject({ dryRun: true, changed: true, diff: expect.stringContaining('+') });
      gatewayMethods.connectClient.output.parse(await connections.connect('cursor'));
      const undo = gatewayMethods.disconnectClient.output.parse(
        await connections.disconnect('cursor', { dryRun: true }),
      );
      expect(undo).toMatchObject({ dryRun: true, files: [path.join(home, '.cursor', 'mcp.json')] });
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });

  it('accepts only https org URLs, or http to this machine', () => {
    const input = gatewayMethods.setSettings.input;
    expect(input.safeParse({ orgUrl: 'https://gatehouse.acme.example' }).success).toBe(true);
    expect(input.safeParse({ orgUrl: 'http://127.0.0.1:8443/policy' }).success).toBe(true);
    expect(input.safeParse({ orgUrl: null }).success).toBe(true);
    expect(input.safeParse({ orgUrl: 'http://gatehouse.acme.example' }).success).toBe(false);
    expect(input.safeParse({ orgUrl: 'http://localhost.evil.example' }).success).toBe(false);
    expect(input.safeParse({ orgUrl: 'file:///etc/passwd' }).success).toBe(false);
  });

  it('rejects a stream event the core cannot send', () => {
    expect(GatewayEventSchema.safeParse({ type: 'changed', topic: 'servers' }).success).toBe(true);
    expect(GatewayEventSchema.safeParse({ type: 'changed', topic: 'everything' }).success).toBe(false);
  });
});

describe('invokeApiMethod', () => {
  it('validates the input and answers with the zod issue and its path', async () => {
    const api = createInMemoryApi();
    const result = await invokeApiMethod(api, 'setServerEnabled', { name: 'memory', enabled: 'yes' });
    expect(result.ok).toBe(false);
    const error = (result as Extract<WireResult, { ok: false }>).error;
    expect(error.code).toBe('invalid-input');
    expect(error.issues).toEqual([expect.objectContaining({ path: ['enabled'] })]);
    expect(error.message).toMatch(/enabled/);
    expect(api.calls.filter((c) => c.method === 'setServerEnabled')).toEqual([]);
  });

  it('treats a missing input as an empty one for methods without required fields', async () => {
    const result = await invokeApiMethod(createInMemoryApi(), 'getStatus', undefined);
    expect(result).toMatchObject({ ok: true, value: { mode: 'org', port: 7391 } });
  });

  it("passes a core error's own code and message through, without calling it a server fault", async () => {
    const faults: unknown[] = [];
    const result = await invokeApiMethod(
      createInMemoryApi(),
      'setServerEnabled',
      { name: 'github', enabled: false },
      (_m, e) => faults.push(e),
    );
    expect(result).toEqual({
      ok: false,
      error: { code: 'locked-by-policy', message: expect.stringContaining('Required by Acme IT') },
    });
    expect(faults).toEqual([]);
  });

  it('reports an error without a code as an internal server fault', async () => {
    const faults: string[] = [];
    const api = {
      ...createInMemoryApi(),
      listServers: async () => Promise.reject(new TypeError('boom')),
    } as GatewayApi;
    const result = await invokeApiMethod(api, 'listServers', {}, (method) => faults.push(method));
    expect(result).toEqual({ ok: false, error: { code: 'internal', message: expect.stringContaining('boom') } });
    expect(faults).toEqual(['listServers']);
  });

  it('refuses an answer outside the contract as a contract violation (a server fault, not a client one)', async () => {
    const faults: unknown[] = [];
    const api = {
      ...createInMemoryApi(),
      listServers: async () => [{ name: 'x', transport: 'carrier-pigeon' }],
    } as unknown as GatewayApi;
    const result = await invokeApiMethod(api, 'listServers', {}, (_m, e) => faults.push(e));
    expect(result).toMatchObject({ ok: false, error: { code: 'contract-violation' } });
    expect(faults).toHaveLength(1);
    expect(String(faults[0])).toMatch(/transport/);
  });
});

describe('createApiClient', () => {
  function loopback(api: GatewayApi, seen: unknown[] = []): ApiTransport {
    return {
      call: (method, input) => (seen.push(input), invokeApiMethod(api, method, input)),
      subscribe: (listener) => api.subscribe(listener),
    };
  }

  it('fails on bad input before anything is sent', async () => {
    const sent: unknown[] = [];
    const client = createApiClient(loopback(createInMemoryApi(), sent));
    const error = await client.queryAudit({ limit: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'invalid-input', issues: [{ path: ['limit'] }] });
    expect(sent).toEqual([]);
  });

  it('turns an error answer back into an ApiError with the same code', async () => {
    const client = createApiClient(loopback(createInMemoryApi()));
    await expect(client.listTools({ server: 'nope' })).rejects.toMatchObject({ name: 'ApiError', code: 'not-found' });
  });

  it('drops live events that are not in the contract and delivers the rest', () => {
    const api = createInMemoryApi();
    const invalid: unknown[] = [];
    const client = createApiClient(loopback(api), { onInvalidEvent: (e) => invalid.push(e) });
    const events: unknown[] = [];
    const stop = client.subscribe((e) => events.push(e));
    api.emit({ type: 'changed', topic: 'servers' });
    api.emit({ type: 'nonsense' } as never);
    stop();
    api.emit({ type: 'changed', topic: 'clients' });
    expect(events).toEqual([{ type: 'changed', topic: 'servers' }]);
    expect(invalid).toEqual([{ type: 'nonsense' }]);
  });
});

describe('the window CSP', () => {
  it('runs only the bundle: no inline script or style, no eval, no frames, no plugins, no form posts', async () => {
    const { WINDOW_CSP } = await import('../../src-main/core/api/index.ts');
    const directives = new Map(
      WINDOW_CSP.split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('require-trusted-types-for')).toEqual(["'script'"]);
    expect(WINDOW_CSP).not.toMatch(/unsafe-|\*|http:/);
  });
});

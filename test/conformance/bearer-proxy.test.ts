// The harness's bearer proxy must be invisible except for the token it adds: otherwise a
// difference "through Gatehouse" could be the harness's fault rather than the gateway's.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBearerProxy } from './harness/bearer-proxy.ts';
import { compareRuns } from './harness/compare.ts';
import { listServerScenarios, runSuite } from './harness/suite.ts';
import { startConformanceUpstream } from './upstream-server.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startTarget(handler: http.RequestListener): Promise<URL> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

/** A raw request, so Host and Origin are exactly what the test says (fetch would not allow Host). */
function request(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('bearer proxy', () => {
  it('adds the token, maps its own Host and Origin to the target, and passes foreign ones through', async () => {
    const target = await startTarget((req, res) => res.end(JSON.stringify(req.headers)));
    const proxy = await startBearerProxy({ target, token: 'secret-token' });
    cleanups.push(() => proxy.close());
    const proxyHost = new URL(proxy.origin).host;

    const own = JSON.parse((await request(`${proxy.origin}/x`, { origin: proxy.origin })).body);
    expect(own.authorization).toBe('Bearer secret-token');
    expect(own.host).toBe(target.host);
    expect(own.origin).toBe(target.origin);

    const foreign = JSON.parse(
      (await request(`${proxy.origin}/x`, { host: 'evil.example.com', origin: 'http://evil.example.com' })).body,
    );
    expect(foreign.host).toBe('evil.example.com');
    expect(foreign.origin).toBe('http://evil.example.com');
    expect(proxyHost).not.toBe(target.host);
  });

  it('delivers each SSE event before the stream ends', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const target = await startTarget((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      void released.then(() => res.end('data: last\n\n'));
    });
    const proxy = await startBearerProxy({ target, token: 't' });
    cleanups.push(() => proxy.close());
    cleanups.push(async () => release());

    const response = await fetch(`${proxy.origin}/events`);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    // A buffering proxy would hold this until the target ends the stream, which it does only after.
    const first = await reader.read();
    expect(first.value).toBe('data: first\n\n');
    release();
    expect((await reader.read()).value).toBe('data: last\n\n');
    await reader.cancel();
  });

  it('changes no conformance result: the upstream passes every scenario directly and through the proxy', async () => {
    const upstream = await startConformanceUpstream();
    cleanups.push(() => upstream.close());
    const proxy = await startBearerProxy({ target: new URL(upstream.url), token: 'ignored-by-the-upstream' });
    cleanups.push(() => proxy.close());
    const outputDir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-proxy-conformance-'));
    cleanups.push(() => rm(outputDir, { recursive: true, force: true }));

    const scenarios = await listServerScenarios();
    const direct = await runSuite(upstream.url, scenarios, path.join(outputDir, 'direct'));
    const proxied = await runSuite(`${proxy.origin}/mcp`, scenarios, path.join(outputDir, 'proxied'));

    expect(direct.scenarios.filter((result) => result.outcome !== 'passed')).toEqual([]);
    const comparison = compareRuns(direct, proxied);
    expect(comparison.regressions).toEqual([]);
    expect(comparison.checkDifferences).toEqual([]);
    expect(comparison.gatehousePassed).toBe(scenarios.length);
  }, 120_000);
});

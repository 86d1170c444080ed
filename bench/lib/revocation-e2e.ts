// The end-to-end revocation delay of issue 3: "policy file changed on the org server" → "first
// refused tool call" through the real gateway. Everything is real and on loopback: the IdP
// (src-main/demo/idp.ts), the reference org server watching a policy file, Gatehouse in org mode
// signed in as alice through the IdP's pages, server-everything (stdio) as the org's MCP server,
// and the SDK's Client on the aggregated endpoint with the local token.
// Each run: the tool answers, a revision that denies it is written, and the client calls it back
// to back until the gateway refuses it; then a revision that allows it again is written and
// awaited (not timed), so every run measures a revocation from the same starting point.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { writeFileAtomic } from '../../src-main/core/fs/atomic-write.ts';
import { createGateway, type Gateway } from '../../src-main/core/gateway/index.ts';
import { FileSecretStore } from '../../src-main/core/secrets/index.ts';
import { browseHeadless } from '../../src-main/demo/headless-browser.ts';
import { startIdp } from '../../src-main/demo/idp.ts';
import { startOrgServer } from '../../src-main/org-server/index.ts';
import { nodeBinary, REPO_ROOT } from './children.ts';
import { percentile, round } from './stats.ts';

const SERVER = 'tools';
const TOOL = `${SERVER}__echo`;
const DENY_RULE = 'bench-revoked';
const POLICY_RESOURCE = 'https://org.bench.gatehouse.test/policy';
const USER = 'alice';

export type GatewayRevocationOptions = {
  runs: number;
  /** How long one run may wait for the refusal (or for the tool to answer again) before the bench fails. */
  runTimeoutMs?: number;
  /** Problems, one line each. */
  log?: (line: string) => void;
  /** The gateway's own log (policy versions coming into force, server starts); none by default. */
  gatewayLog?: (line: string) => void;
};

export type GatewayRevocationResult = {
  /** Milliseconds from "write of the denying revision started" to "first refused call returned", one per run. */
  delaysMs: number[];
  /** Tool calls made while waiting for the refusals (all runs). */
  calls: number;
  /** Calls that failed for another reason than the deny rule while waiting (should be 0). */
  otherErrors: number;
};

type Outcome = { kind: 'allowed' } | { kind: 'refused' } | { kind: 'error'; message: string };

/** Starts the org, the gateway and a client, measures `runs` revocations, and stops everything it started. */
export async function measureGatewayRevocation(options: GatewayRevocationOptions): Promise<GatewayRevocationResult> {
  const log = options.log ?? (() => {});
  const runTimeoutMs = options.runTimeoutMs ?? 10_000;
  const stops: (() => Promise<unknown>)[] = [];
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gatehouse-bench-revocation-e2e-'));
  stops.push(() => fs.rm(dir, { recursive: true, force: true }));
  try {
    const idp = await startIdp();
    stops.push(() => idp.stop());

    const policyFile = path.join(dir, 'policy.json');
    let revision = 0;
    const writePolicy = async (denied: boolean) => {
      revision++;
      await writeFileAtomic(policyFile, JSON.stringify(benchPolicy(revision, denied)));
    };
    await writePolicy(false);
    const orgServer = await startOrgServer({
      policyFile,
      issuer: idp.issuer,
      audience: POLICY_RESOURCE,
      jwksUri: idp.jwksUri,
      clientId: idp.clientId,
      logger: { info: () => {}, error: (m) => log(`org server: ${m}`) },
    });
    stops.push(() => orgServer.close());

    const dataDir = path.join(dir, 'data');
    const gateway = await createGateway({
      dataDir,
      port: 0,
      org: {
        org: {
          orgName: 'Bench Org',
          issuer: idp.issuer,
          clientId: idp.clientId,
          policyEndpoint: `${orgServer.url}/policy`,
          policyResource: POLICY_RESOURCE,
        },
        secretStore: new FileSecretStore({ dataDir }),
        openBrowser: signInAs(USER),
        allowInsecureHttp: true,
      },
      // No AI client config of the real user is read or written.
      host: { platform: 'linux', homeDir: path.join(dir, 'home'), env: {} },
      log: options.gatewayLog ?? (() => {}),
    });
    stops.push(() => gateway.close());
    await gateway.org!.login({ loginHint: USER });
    await untilServerReady(gateway, runTimeoutMs * 3);

    const client = new Client({ name: 'gatehouse-bench-revocation', version: '1.0.0' });
    const token = await gateway.tokens.getOrCreate('bench');
    await client.connect(
      new StreamableHTTPClientTransport(new URL(gateway.endpoint), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    stops.push(() => client.close());

    const result: GatewayRevocationResult = { delaysMs: [], calls: 0, otherErrors: 0 };
    for (let run = 1; run <= options.runs; run++) {
      await untilAllowed(client, runTimeoutMs, `run ${run}: ${TOOL} did not answer within ${runTimeoutMs} ms`);
      const started = performance.now();
      await writePolicy(true);
      for (;;) {
        const outcome = await callTool(client);
        result.calls++;
        if (outcome.kind === 'refused') break;
        if (outcome.kind === 'error') {
          result.otherErrors++;
          log(`run ${run}: ${TOOL} failed while waiting for the refusal: ${outcome.message}`);
        }
        if (performance.now() - started > runTimeoutMs) {
          throw new Error(`run ${run}: ${TOOL} was still not refused ${runTimeoutMs} ms after the policy file changed`);
        }
      }
      result.delaysMs.push(performance.now() - started);
      await writePolicy(false);
      // The org server debounces file events: let the allowing revision settle before the next run.
      await sleep(150);
    }
    return result;
  } finally {
    while (stops.length) await stops.pop()!().catch((error: Error) => log(`while stopping: ${error.message}`));
  }
}

/** One org server (`tools`, server-everything over stdio) that alice's group may use; `denied` revokes its echo tool. */
function benchPolicy(revision: number, denied: boolean): Record<string, unknown> {
  return {
    version: 1,
    policyVersion: `bench-${revision}`,
    issuedAt: new Date().toISOString(),
    staleAfterSeconds: 3600,
    servers: {
      [SERVER]: {
        command: nodeBinary(),
        args: [path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'],
      },
    },
    rules: [
      { id: 'eng-tools', effect: 'allow', when: { groups: ['eng'] }, servers: [SERVER] },
      ...(denied ? [{ id: DENY_RULE, effect: 'deny', servers: [SERVER], tools: ['echo'] }] : []),
    ],
  };
}

/** The IdP signs the hinted user in without a form; every sign-in round is that user's. */
function signInAs(user: string): (url: string) => Promise<void> {
  return async (url) => {
    const page = new URL(url);
    page.searchParams.set('login_hint', user);
    const result = await browseHeadless(page.href);
    if (result.status >= 400) throw new Error(`the IdP refused the sign-in: HTTP ${result.status}`);
  };
}

async function untilServerReady(gateway: Gateway, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const entry = gateway.pool.get(SERVER);
    if (entry?.enabled && entry.connection.state === 'ready' && entry.lists) return;
    if (Date.now() > deadline) {
      throw new Error(`the org server '${SERVER}' was not ready within ${timeoutMs} ms (${entry?.connection.state})`);
    }
    await sleep(50);
  }
}

async function untilAllowed(client: Client, timeoutMs: number, failure: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await callTool(client)).kind !== 'allowed') {
    if (Date.now() > deadline) throw new Error(failure);
    await sleep(20);
  }
}

async function callTool(client: Client): Promise<Outcome> {
  try {
    const result = await client.callTool({ name: TOOL, arguments: { message: 'bench' } });
    const text = JSON.stringify(result.content ?? '');
    if (!result.isError) return { kind: 'allowed' };
    return text.includes(DENY_RULE) ? { kind: 'refused' } : { kind: 'error', message: text.slice(0, 200) };
  } catch (error) {
    const message = (error as Error).message;
    return message.includes(DENY_RULE) ? { kind: 'refused' } : { kind: 'error', message: message.slice(0, 200) };
  }
}

const REVOCATION_TARGET_MS = 5000;
const REVOCATION_TYPICAL_MS = 1000;

/** The human-readable block and the JSON line for one measurement; `pass` is the must (max ≤ 5 s). */
export function reportGatewayRevocation(result: GatewayRevocationResult): {
  text: string;
  json: string;
  pass: boolean;
} {
  const samples = result.delaysMs;
  const p50 = percentile(samples, 50);
  const p95 = percentile(samples, 95);
  const max = Math.max(...samples);
  const pass = max <= REVOCATION_TARGET_MS;
  const typical = p50 < REVOCATION_TYPICAL_MS;
  const text = [
    `policy revocation delay (file changed → first refused tool call through the gateway), ${samples.length} runs`,
    `  p50  ${p50.toFixed(0)} ms   (typical < ${REVOCATION_TYPICAL_MS} ms: ${typical ? 'yes' : 'no'})`,
    `  p95  ${p95.toFixed(0)} ms`,
    `  max  ${max.toFixed(0)} ms   (must ≤ ${REVOCATION_TARGET_MS} ms: ${pass ? 'pass' : 'fail'})`,
    `  ${result.calls} calls while waiting, ${result.otherErrors} failed for another reason`,
    '',
  ].join('\n');
  const json = JSON.stringify({
    bench: 'policy-revocation',
    stage: 'gateway',
    runs: samples.length,
    unit: 'ms',
    p50: round(p50, 1),
    p95: round(p95, 1),
    max: round(max, 1),
    min: round(Math.min(...samples), 1),
    delaysMs: samples.map((s) => round(s, 1)),
    calls: result.calls,
    otherErrors: result.otherErrors,
    targetMs: REVOCATION_TARGET_MS,
    typicalMs: REVOCATION_TYPICAL_MS,
    typical,
    verdict: pass ? 'pass' : 'fail',
  });
  return { text, json, pass };
}

/** `--runs N`, else BENCH_REVOCATION_RUNS, else 20. */
export function revocationRuns(flag: string | undefined): number {
  const raw = flag ?? process.env.BENCH_REVOCATION_RUNS ?? '20';
  const runs = Number(raw);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${raw}`);
  return runs;
}

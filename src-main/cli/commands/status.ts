import os from 'node:os';
import path from 'node:path';
import { WINDOW_CLIENT_ID } from '../../core/api/index.ts';
import { readSignInStatus } from '../../core/auth/index.ts';
import { DEFAULT_PORT, defaultDataDir } from '../../core/config/index.ts';
import { loadOrgConfig, readCachedPolicy, requiresPolicySignature } from '../../core/policy/index.ts';
import { openHeadlessSecretStore } from '../../core/secrets/index.ts';
import { LocalTokenStore } from '../../core/tokens/index.ts';
import { parseCommandArgs } from '../args.ts';

const HELP = `Usage: gatehouse status [--json] [--port N] [--data-dir DIR]

Shows the endpoint, who is signed in (groups, roles), the org policy in force and its age, and
each server's state. With --json, the same as one JSON object for scripts.
`;

type Running = { status: Record<string, unknown>; servers: Record<string, unknown>[] };

async function askGateway(port: number, token: string): Promise<Running | undefined> {
  const call = async (method: string) => {
    const response = await fetch(`http://127.0.0.1:${port}/api/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(3000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  };
  try {
    return { status: await call('getStatus'), servers: await call('listServers') };
  } catch {
    return undefined;
  }
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    { json: { type: 'boolean', default: false }, port: { type: 'string' }, 'data-dir': { type: 'string' } },
    HELP,
  );
  if (!parsed) return 0;
  const { values } = parsed;
  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
  const port = values.port ? Number(values.port) : DEFAULT_PORT;
  const token = await new LocalTokenStore(dataDir).getOrCreate(WINDOW_CLIENT_ID);
  const running = await askGateway(port, token);

  // Sign-in and policy from the data dir, so status answers even when the gateway is not running.
  const org = await loadOrgConfig({
    platform: process.platform,
    env: process.env,
    homeDir: os.homedir(),
    dataDir,
  }).catch(() => undefined);
  const signIn =
    org && org.mode !== 'personal'
      ? await readSignInStatus(openHeadlessSecretStore(dataDir)).catch(() => undefined)
      : undefined;
  const cachedPolicy =
    org && org.mode !== 'personal'
      ? await readCachedPolicy({
          cacheDir: dataDir,
          endpoint: org.config.policyEndpoint,
          ...(org.config.signingKeys && { signingKeys: org.config.signingKeys as never }),
          requireSignature: requiresPolicySignature(org.config),
        })
      : undefined;
  const runningPolicy = running?.status.policy as
    { version: string | null; ageSeconds: number | null; state: string } | undefined;
  const audit = running?.status.audit as
    { summary: string; warnings: string[]; recordedBeforeAnswer: boolean } | undefined;

  const report = {
    endpoint: `http://127.0.0.1:${port}/mcp`,
    running: running !== undefined,
    mode: org?.mode === 'personal' || !org ? 'personal' : 'org',
    org:
      org && org.mode !== 'personal'
        ? { name: org.config.orgName ?? null, issuer: org.config.issuer, source: org.source }
        : null,
    user: signIn?.signedIn ? { ...signIn.user, signedInAt: new Date(signIn.signedInAt).toISOString() } : null,
    policy:
      runningPolicy ??
      (cachedPolicy ? { version: cachedPolicy.policyVersion, ageSeconds: null, state: 'cached' } : null),
    servers: running?.servers ?? [],
    audit: audit ?? null,
    dataDir,
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return 0;
  }
  const lines = [
    `Gatehouse ${report.running ? 'is running' : 'is not running'} at ${report.endpoint}`,
    report.org
      ? `Org: ${report.org.name ?? report.org.issuer} (${report.org.source})`
      : 'Personal mode (no org configured)',
  ];
  if (report.org) {
    lines.push(
      report.user
        ? `Signed in as ${report.user.email ?? report.user.sub}; groups: ${report.user.groups.join(', ') || '-'}; roles: ${report.user.roles.join(', ') || '-'}`
        : "Not signed in: run 'gatehouse login'",
    );
    lines.push(
      report.policy
        ? `Policy ${report.policy.version ?? '(none)'} ${report.policy.ageSeconds !== null ? `confirmed ${report.policy.ageSeconds} s ago` : ''} (${report.policy.state})`
        : 'No org policy yet',
    );
  }
  if (report.audit) {
    const durability = report.audit.recordedBeforeAnswer ? ' (each call recorded before its answer)' : '';
    lines.push(`Audit log: ${report.audit.summary}${durability}`);
    for (const warning of report.audit.warnings) lines.push(`  warning: ${warning}`);
  }
  for (const server of report.servers) {
    const s = server as {
      name: string;
      state: string;
      toolCount: number | null;
      lastError?: string;
      lockReason?: string;
    };
    lines.push(
      `  ${s.name.padEnd(16)} ${s.state.padEnd(10)} ${s.toolCount ?? '?'} tools${s.lastError ? `  ${s.lastError}` : ''}${s.lockReason ? `  (${s.lockReason})` : ''}`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

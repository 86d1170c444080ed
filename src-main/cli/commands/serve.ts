import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_PORT, defaultDataDir } from '../../core/config/index.ts';
import { WINDOW_CLIENT_ID, windowUrl } from '../../core/api/index.ts';
import { openInSystemBrowser } from '../../core/auth/index.ts';
import { createGateway, tuneV8ForServing } from '../../core/gateway/index.ts';
import { loadOrgConfig, PolicyError } from '../../core/policy/index.ts';
import { openHeadlessSecretStore } from '../../core/secrets/index.ts';
// Only the folder's name: the demo itself (an IdP, the org server) is loaded when --demo asks for it.
import { defaultDemoDataDir } from '../../demo/demo-files.ts';
import { CliError } from '../cli-error.ts';

const HELP = `Usage: gatehouse serve [--config FILE] [--port N] [--data-dir DIR]
       gatehouse serve --demo [--demo-user NAME] [--port N] [--data-dir DIR] [--no-browser]

Runs the gateway in the foreground until Ctrl-C (SIGINT) or SIGTERM.
  --config FILE     servers in the "mcpServers" shape of Claude Desktop / Cursor
                    (default: <data dir>/config.json if it exists)
  --port N          port on 127.0.0.1 (default ${DEFAULT_PORT}; AI client configs embed it)
  --data-dir DIR    where tokens, caches and logs live (default ${defaultDataDir()})

  --demo            run the demo org: a demo IdP, an org server with a sample policy and MCP
                    servers, and Gatehouse signed in to it; nothing outside its data dir changes
                    (default data dir ${defaultDemoDataDir()}, default port: a free one)
  --demo-user NAME  who is signed in: alice (eng), bob (sales) or carol (no groups); default alice
  --no-browser      with --demo: print sign-in pages instead of opening the browser
`;

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        demo: { type: 'boolean', default: false },
        'demo-user': { type: 'string' },
        'no-browser': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${HELP}`, 2);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  // The demo must not collide with a real Gatehouse on the default port.
  const port = values.port === undefined ? (values.demo ? 0 : DEFAULT_PORT) : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port must be a port number (0-65535), got '${values.port}'.`, 2);
  if (values.demo) {
    if (values.config)
      throw new CliError('--config cannot be used with --demo: the demo org brings its own servers.', 2);
    return serveDemo({
      port,
      dataDir: path.resolve(values['data-dir'] ?? defaultDemoDataDir()),
      user: values['demo-user'] ?? 'alice',
      openSystemBrowser: !values['no-browser'],
    });
  }
  if (values['demo-user'] || values['no-browser'])
    throw new CliError('--demo-user and --no-browser go with --demo.', 2);
  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
  const defaultConfig = path.join(dataDir, 'config.json');
  const configFile = values.config
    ? path.resolve(values.config)
    : fs.existsSync(defaultConfig)
      ? defaultConfig
      : undefined;

  // Org mode when IT installed a managed config or the user joined an org (`gatehouse login --org`).
  let orgResult;
  try {
    orgResult = await loadOrgConfig({ platform: process.platform, env: process.env, homeDir: os.homedir(), dataDir });
  } catch (error) {
    if (error instanceof PolicyError) throw new CliError(error.message);
    throw error;
  }
  for (const warning of orgResult.warnings) process.stderr.write(`warning: ${warning}\n`);
  // Personal mode keeps secrets too: OAuth tokens of remote servers the user connects to and keys
  // they enter for their own servers. The warning is about IdP sign-in tokens, so org mode only.
  const secretStore = openHeadlessSecretStore(dataDir);
  const storeWarning = orgResult.mode === 'personal' ? undefined : secretStore.describe().warning;
  if (storeWarning) process.stderr.write(`warning: ${storeWarning}\n`);

  let gateway;
  try {
    gateway = await createGateway({
      dataDir,
      port,
      ...(configFile && { configFile }),
      ...(process.env.GATEHOUSE_AUDIT === 'off' && { audit: false as const }), // the bench's no-audit baseline
      ...(process.env.GATEHOUSE_AUDIT === 'strict' && { recordBeforeAnswer: true }), // docs/audit.md, Durability
      ...(orgResult.mode === 'personal'
        ? { secretStore, openBrowser: openInSystemBrowser }
        : { org: { org: orgResult.config, secretStore, openBrowser: openInSystemBrowser, allowInsecureHttp: true } }),
      log: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    if (isNotWritable(error)) {
      // Found by test/hardening/local-faults.test.ts: a read-only data dir surfaced as a bare EACCES.
      throw new CliError(
        `Gatehouse cannot write its data dir ${dataDir} (${(error as Error).message}). Make it writable for your user, or choose another with --data-dir.`,
      );
    }
    throw new CliError((error as Error).message);
  }

  const names = gateway.pool.all().map((e) => e.config.name);
  const windowLink = windowUrl(`http://127.0.0.1:${gateway.port}`, await gateway.tokens.getOrCreate(WINDOW_CLIENT_ID));
  const orgLine =
    orgResult.mode === 'personal'
      ? 'Personal mode (no org configured).'
      : `Org: ${orgResult.config.orgName ?? orgResult.config.issuer}. Sign in with 'gatehouse login' if you are not signed in yet.`;
  process.stdout.write(
    [
      `Gatehouse is running (data dir ${dataDir}).`,
      orgLine,
      `  all servers:  ${gateway.endpoint}`,
      ...names.map((n) => `  ${n.padEnd(12)}  ${gateway.serverEndpoint(n)}`),
      names.length === 0 ? `  (no servers configured: pass --config FILE or create ${defaultConfig})` : '',
      `  window:       ${windowLink}`,
      `Clients authenticate with "Authorization: Bearer <token>"; print one with: gatehouse token --data-dir ${JSON.stringify(dataDir)}`,
      'Press Ctrl-C to stop.',
      '',
    ]
      .filter((l) => l !== '')
      .join('\n') + '\n',
  );

  tuneV8ForServing();

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`Stopping Gatehouse (${signal})…\n`);
      // Closing the pool stops every stdio server, so no child process outlives the gateway.
      gateway.close().finally(resolve);
    };
    // `on`, not `once`: a second signal (Ctrl-C reaches `npm start` and its child) must not kill
    // the process halfway through stopping its servers.
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

/**
 * `serve --demo`: the demo org in the foreground. Ctrl-C or SIGTERM, even while it is still
 * starting, stops everything it started before the process exits.
 */
async function serveDemo(options: {
  port: number;
  dataDir: string;
  user: string;
  openSystemBrowser: boolean;
}): Promise<number> {
  let signalled: string | undefined;
  const stopRequested = new Promise<string>((resolve) => {
    const stop = (signal: string) => {
      signalled ??= signal;
      resolve(signal);
    };
    // Kept for the process's life: a second signal must not kill it halfway through stopping.
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  process.stderr.write(`Starting the Gatehouse demo org in ${options.dataDir}…\n`);
  const { demoBanner, startDemoOrg } = await import('../../demo/index.ts');
  let demo;
  try {
    demo = await startDemoOrg({ ...options, log: (line) => process.stderr.write(`${line}\n`) });
  } catch (error) {
    throw new CliError(`the demo org could not start: ${(error as Error).message}`);
  }
  if (!signalled) process.stdout.write(demoBanner(demo));
  tuneV8ForServing();
  const signal = await stopRequested;
  process.stderr.write(`Stopping the demo org (${signal})…\n`);
  await demo.close();
  return 0;
}

function isNotWritable(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS') return true;
  }
  return false;
}

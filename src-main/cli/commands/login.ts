import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AuthError, DEFAULT_SCOPE, createAuthClient, openInSystemBrowser } from '../../core/auth/index.ts';
import type { SignedInUser } from '../../core/auth/index.ts';
import { defaultDataDir } from '../../core/config/index.ts';
import { resourcesToRequest } from '../../core/identity/index.ts';
import {
  PolicyError,
  decodePolicyBody,
  loadOrgConfig,
  policyCacheFile,
  requiresPolicySignature,
  saveOrgUrl,
} from '../../core/policy/index.ts';
import type { OrgConfig } from '../../core/policy/index.ts';
import { openHeadlessSecretStore } from '../../core/secrets/index.ts';
import { parseCommandArgs } from '../args.ts';
import { CliError } from '../cli-error.ts';

const HELP = `Usage: gatehouse login [--org URL | --issuer URL --client-id ID] [--device] [--data-dir DIR]

Signs you in to your organisation's identity provider (IdP) in your browser.
  --org URL          the org URL IT gave you; read once from <URL>/.well-known/gatehouse and remembered
  --issuer URL       sign in to this IdP directly (with --client-id), e.g. for testing an IdP setup
  --client-id ID
  --device           sign in on another device with a code: for machines without a browser
  --no-browser       print the sign-in address instead of opening the browser
  --login-hint NAME  pre-fill your user name at the IdP
  --data-dir DIR     where the sign-in is kept (default ${defaultDataDir()})

Without --org or --issuer, the org comes from the managed config IT installed or from an earlier --org.
`;

type Target = { issuer: string; clientId: string; scope: string; resources: string[]; orgName?: string };

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      org: { type: 'string' },
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      device: { type: 'boolean', default: false },
      'no-browser': { type: 'boolean', default: false },
      'login-hint': { type: 'string' },
      'data-dir': { type: 'string' },
    },
    HELP,
  );
  if (!parsed) return 0;
  const { values } = parsed;
  if ((values.issuer === undefined) !== (values['client-id'] === undefined)) {
    throw new CliError('--issuer and --client-id go together.', 2);
  }
  if (values.org && values.issuer) throw new CliError('Use either --org or --issuer/--client-id, not both.', 2);
  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
  const target = await findTarget(dataDir, values);

  const secretStore = openHeadlessSecretStore(dataDir);
  const client = createAuthClient({
    issuer: target.issuer,
    clientId: target.clientId,
    secretStore,
    scope: target.scope,
    resources: target.resources,
    // Only ever effective for an IdP on this machine (the demo); remote issuers must use https.
    allowInsecureHttp: true,
    openBrowser: async (url) => {
      process.stderr.write(`Sign in at:\n  ${url}\n`);
      if (values['no-browser']) return;
      await openInSystemBrowser(url).catch(() =>
        process.stderr.write('(Could not open a browser: open the address above.)\n'),
      );
    },
  });

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  let user: SignedInUser;
  try {
    process.stderr.write(`Signing in to ${target.orgName ?? target.issuer}…\n`);
    user = values.device
      ? await client.loginWithDeviceCode({
          signal: controller.signal,
          ...(values['login-hint'] && { loginHint: values['login-hint'] }),
          onPrompt: (prompt) => {
            process.stderr.write(
              `On any device, open ${prompt.verificationUri} and enter the code ${prompt.userCode}\n` +
                (prompt.verificationUriComplete ? `  (or open ${prompt.verificationUriComplete})\n` : '') +
                `Waiting for you to confirm (Ctrl-C to stop)…\n`,
            );
          },
        })
      : await client.login({
          signal: controller.signal,
          ...(values['login-hint'] && { loginHint: values['login-hint'] }),
        });
  } catch (error) {
    if (error instanceof AuthError) throw new CliError(error.message, error.code === 'login_cancelled' ? 130 : 1);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
  }

  process.stdout.write(`Signed in as ${describeUser(user)}.\n`);
  const store = secretStore.describe();
  if (!store.protected && store.warning) process.stderr.write(`Warning: ${store.warning}\n`);
  return 0;
}

async function findTarget(
  dataDir: string,
  flags: { org?: string; issuer?: string; 'client-id'?: string },
): Promise<Target> {
  if (flags.issuer && flags['client-id']) {
    return { issuer: flags.issuer, clientId: flags['client-id'], scope: DEFAULT_SCOPE, resources: [] };
  }
  let config: OrgConfig;
  try {
    const found = await loadOrgConfig({ platform: process.platform, env: process.env, homeDir: os.homedir(), dataDir });
    for (const warning of found.warnings) process.stderr.write(`Warning: ${warning}\n`);
    if (flags.org) {
      if (found.mode === 'managed') {
        throw new CliError(`This computer's org is set by IT in ${found.source}; --org cannot change it.`, 2);
      }
      config = (await saveOrgUrl({ dataDir, orgUrl: flags.org })).config;
    } else if (found.mode === 'personal') {
      throw new CliError(
        'No organisation is configured. Run gatehouse login --org URL with the address IT gave you.',
        2,
      );
    } else {
      config = found.config;
    }
  } catch (error) {
    if (error instanceof PolicyError) throw new CliError(error.message);
    throw error;
  }
  const resources = [
    ...(config.policyResource ? [config.policyResource] : []),
    ...(await cachedPolicyResources(dataDir, config)),
  ];
  return {
    issuer: config.issuer,
    clientId: config.clientId,
    scope: config.scopes ? ['openid', ...config.scopes.filter((s) => s !== 'openid')].join(' ') : DEFAULT_SCOPE,
    resources: [...new Set(resources)],
    ...(config.orgName && { orgName: config.orgName }),
  };
}

/**
 * The audiences of the org's servers, from the last policy this laptop accepted, so their tokens
 * can be issued later without a second sign-in. On a first sign-in there is none yet: the gateway
 * asks the user to sign in again once the policy names servers that need tokens.
 */
async function cachedPolicyResources(dataDir: string, config: OrgConfig): Promise<string[]> {
  try {
    const cached = JSON.parse(await fs.readFile(policyCacheFile(dataDir), 'utf8')) as {
      endpoint?: unknown;
      body?: unknown;
    };
    if (cached.endpoint !== config.policyEndpoint || typeof cached.body !== 'string') return [];
    const { policy } = await decodePolicyBody(cached.body, {
      ...(config.signingKeys && { signingKeys: config.signingKeys }),
      requireSignature: requiresPolicySignature(config),
    });
    return resourcesToRequest(
      Object.values(policy.servers).map((server) => ('identity' in server ? server.identity : undefined)),
    );
  } catch {
    return []; // no usable cached policy: sign in with what the org config names
  }
}

function describeUser(user: SignedInUser): string {
  const who = user.name && user.email ? `${user.name} <${user.email}>` : (user.email ?? user.name ?? user.sub);
  const facts = [
    user.groups.length > 0 && `groups: ${user.groups.join(', ')}`,
    user.roles.length > 0 && `roles: ${user.roles.join(', ')}`,
    user.team && `team: ${user.team}`,
  ].filter(Boolean);
  return facts.length > 0 ? `${who} (${facts.join('; ')})` : who;
}

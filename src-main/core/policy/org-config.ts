import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { PolicyError } from './errors.ts';
import { formatJsonPath } from './validate.ts';
import type { PathSegment } from './validate.ts';

/**
 * How Gatehouse finds the org: a managed config file that MDM puts at a fixed system path wins;
 * else an org URL the user entered once (its discovery document cached in the data dir); else
 * personal mode. The same fields come from either source.
 */
const MANAGED_CONFIG_ENV = 'GATEHOUSE_MANAGED_CONFIG';
const USER_ORG_FILE = 'org.json';
const DISCOVERY_TIMEOUT_MS = 5_000;

const publicJwkSchema = z
  .looseObject({ kty: z.string(), kid: z.string().optional(), alg: z.string().optional() })
  .refine((jwk) => !('d' in jwk) && !('k' in jwk), { message: 'must be a public key (no private "d" or secret "k")' });

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SECRET_REF = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;

const sinkHeaderSchema = z
  .strictObject({
    header: z.string().regex(HEADER_NAME, 'must be an HTTP header name'),
    value: z.string().optional().describe('A value that is not secret (a tenant id, say)'),
    secretRef: z
      .string()
      .regex(SECRET_REF, 'must be a secret name (letters, digits and . _ / -)')
      .optional()
      .describe('Name of an org-provided secret in the secret store, as for server credentials'),
    prefix: z.string().optional().describe('Text put before the secret, e.g. "Bearer "'),
  })
  .refine((h) => (h.value === undefined) !== (h.secretRef === undefined), {
    message: 'needs exactly one of `value` and `secretRef`',
  });

const auditSinkSchema = z.discriminatedUnion('type', [
  z
    .strictObject({ type: z.literal('https'), url: z.url() })
    .describe('POST {"records": [...]} batches with the signed-in user\'s IdP access token'),
  z
    .strictObject({
      type: z.literal('otlp'),
      url: z.url().describe("The collector's OTLP/HTTP logs endpoint, e.g. https://otel.example.com:4318/v1/logs"),
      headers: z.array(sinkHeaderSchema).optional(),
      resourceAttributes: z.record(z.string(), z.string()).optional(),
    })
    .describe('OpenTelemetry logs over OTLP/HTTP (JSON), one log record per audit record'),
]);

const orgConfigShape = {
  orgName: z.string().min(1).optional(),
  issuer: z.url({ error: 'must be the IdP issuer URL' }),
  clientId: z.string().min(1),
  scopes: z.array(z.string().min(1)).optional().describe('Scopes to request besides openid'),
  policyEndpoint: z.url({ error: 'must be the URL of the policy document' }),
  policyResource: z.string().min(1).optional().describe('RFC 8707 resource of the policy endpoint'),
  signingKeys: z.array(publicJwkSchema).optional(),
  requirePolicySignature: z.boolean().optional().describe('Default: true when signingKeys are given'),
  auditEndpoint: z.url().optional().describe('Shorthand for auditSinks: [{"type": "https", "url": …}]'),
  auditSinks: z
    .array(auditSinkSchema)
    .optional()
    .refine((sinks) => new Set(sinks?.map((s) => s.type)).size === (sinks?.length ?? 0), {
      message: 'at most one sink of each type',
    })
    .describe('Where audit records are shipped: HTTPS batches and/or OTLP/HTTP logs'),
  contact: z.string().min(1).optional(),
  locked: z.record(z.string(), z.unknown()).optional().describe('Settings fixed by IT: name → value'),
};

/** The managed file is written by IT: a misspelt field is an error, not a silently ignored setting. */
const managedConfigSchema = z.strictObject({ $schema: z.string().optional(), ...orgConfigShape });
/** Discovery documents may gain fields in later versions; unknown ones are dropped. */
export const discoveryDocumentSchema = z.object(orgConfigShape);

export type OrgConfig = z.infer<typeof discoveryDocumentSchema>;
export type AuditSinkConfig = z.infer<typeof auditSinkSchema>;

/**
 * The audit sinks the org chose: `auditSinks`, plus `auditEndpoint` as an HTTPS sink when no
 * HTTPS sink is listed (both may be given when the discovery document names the org server's).
 */
export function auditSinksOf(config: OrgConfig): AuditSinkConfig[] {
  const sinks = [...(config.auditSinks ?? [])];
  if (config.auditEndpoint && !sinks.some((sink) => sink.type === 'https'))
    sinks.unshift({ type: 'https', url: config.auditEndpoint });
  return sinks;
}

export type OrgConfigResult =
  | { mode: 'managed'; source: string; config: OrgConfig; warnings: string[] }
  | { mode: 'user'; source: string; config: OrgConfig; discoveredAt: string; fromCache: boolean; warnings: string[] }
  | { mode: 'personal'; warnings: string[] };

export type OrgConfigContext = {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  homeDir: string;
  dataDir: string;
  fetch?: typeof fetch;
};

/** Where MDM puts the managed config on each OS (documented in docs/policy.md). */
export function managedConfigPath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = {}): string {
  if (platform === 'darwin') return '/Library/Application Support/Gatehouse/managed.json';
  if (platform === 'win32') {
    return path.win32.join(env.ProgramData ?? env.PROGRAMDATA ?? 'C:\\ProgramData', 'Gatehouse', 'managed.json');
  }
  return '/etc/gatehouse/managed.json';
}

/** Whether the policy must be signed: as configured, else whenever the org published signing keys. */
export function requiresPolicySignature(config: OrgConfig): boolean {
  return config.requirePolicySignature ?? (config.signingKeys?.length ?? 0) > 0;
}

export async function loadOrgConfig(context: OrgConfigContext): Promise<OrgConfigResult> {
  const override = context.env[MANAGED_CONFIG_ENV];
  const managedPath = override
    ? expandHome(override, context.homeDir)
    : managedConfigPath(context.platform, context.env);
  const managed = await readManagedConfig(managedPath, context.platform);
  if (managed) return managed;
  const user = await readUserOrg(context);
  return user ?? { mode: 'personal', warnings: [] };
}

async function readManagedConfig(file: string, platform: NodeJS.Platform): Promise<OrgConfigResult | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PolicyError(
      'org_config_unreadable',
      `cannot read the managed config ${file}: ${(cause as Error).message}. Ask IT to check the file's permissions.`,
      { cause },
    );
  }
  const config = parseConfig(text, managedConfigSchema, `the managed config ${file}`);
  const { $schema: _ignored, ...fields } = config;
  const warnings: string[] = [];
  if (platform !== 'win32') {
    const mode = (await fs.stat(file)).mode;
    // The managed file decides which org the laptop trusts; if any user can change it, so can malware.
    if (mode & 0o022)
      warnings.push(`${file} is writable by non-administrators; MDM should make it writable only by root.`);
  }
  return { mode: 'managed', source: file, config: fields, warnings };
}

type SavedOrg = { format: 1; orgUrl: string; discovered: OrgConfig; discoveredAt: string };
const savedOrgSchema = z.object({
  format: z.literal(1),
  orgUrl: z.string(),
  discovered: discoveryDocumentSchema,
  discoveredAt: z.string(),
});

async function readUserOrg(context: OrgConfigContext): Promise<OrgConfigResult | undefined> {
  const file = path.join(context.dataDir, USER_ORG_FILE);
  let saved: SavedOrg;
  try {
    saved = savedOrgSchema.parse(JSON.parse(await fs.readFile(file, 'utf8')));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PolicyError(
      'org_config_invalid',
      `the saved org in ${file} is damaged; enter the org URL again (gatehouse login --org URL).`,
      { cause },
    );
  }
  try {
    const fresh = await saveOrgUrl({ dataDir: context.dataDir, orgUrl: saved.orgUrl, fetch: context.fetch });
    return {
      mode: 'user',
      source: saved.orgUrl,
      config: fresh.config,
      discoveredAt: fresh.discoveredAt,
      fromCache: false,
      warnings: [],
    };
  } catch (error) {
    // Offline start: the discovery document from last time is as good as it was then.
    const warning = `could not refresh ${saved.orgUrl}/.well-known/gatehouse (${(error as Error).message}); using the copy from ${saved.discoveredAt}.`;
    return {
      mode: 'user',
      source: saved.orgUrl,
      config: saved.discovered,
      discoveredAt: saved.discoveredAt,
      fromCache: true,
      warnings: [warning],
    };
  }
}

/** Reads `<orgUrl>/.well-known/gatehouse`, checks it, and saves it in the data dir as the user's org. */
export async function saveOrgUrl(options: {
  dataDir: string;
  orgUrl: string;
  fetch?: typeof fetch;
}): Promise<{ orgUrl: string; config: OrgConfig; discoveredAt: string }> {
  const orgUrl = normalizeOrgUrl(options.orgUrl);
  const config = await discoverOrg(orgUrl, options.fetch);
  const discoveredAt = new Date().toISOString();
  const saved: SavedOrg = { format: 1, orgUrl, discovered: config, discoveredAt };
  await writeFileAtomic(path.join(options.dataDir, USER_ORG_FILE), `${JSON.stringify(saved, null, 2)}\n`, {
    mode: 0o600,
  });
  return { orgUrl, config, discoveredAt };
}

/** Leave the user-entered org (personal mode from then on, unless a managed config appears). */
export async function forgetOrgUrl(dataDir: string): Promise<void> {
  await fs.rm(path.join(dataDir, USER_ORG_FILE), { force: true });
}

async function discoverOrg(orgUrl: string, fetchImpl: typeof fetch = fetch): Promise<OrgConfig> {
  const url = `${normalizeOrgUrl(orgUrl)}/.well-known/gatehouse`;
  let response: Response;
  let text: string;
  try {
    response = await fetchImpl(url, {
      headers: { Accept: 'application/json' },
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
    });
    text = await response.text();
  } catch (cause) {
    throw new PolicyError('discovery_failed', `cannot reach ${url}: ${(cause as Error).message}`, { cause });
  }
  if (!response.ok) {
    throw new PolicyError('discovery_failed', `${url} answered HTTP ${response.status}; check the org URL with IT.`);
  }
  return parseConfig(text, discoveryDocumentSchema, url);
}

/**
 * `acme.example.com` becomes `https://acme.example.com`. Plain http is accepted only for this
 * machine: discovery names the IdP and the policy keys, which must not come from a network attacker.
 */
export function normalizeOrgUrl(input: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input.trim()) ? input.trim() : `https://${input.trim()}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (cause) {
    throw new PolicyError(
      'org_config_invalid',
      `"${input}" is not a URL; enter the org URL IT gave you, e.g. https://gatehouse.example.com.`,
      { cause },
    );
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new PolicyError('org_config_invalid', `the org URL must use https (got ${url.protocol}//${url.host}).`);
  }
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

function parseConfig<T extends z.ZodType>(text: string, schema: T, what: string): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new PolicyError('org_config_invalid', `${what} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.flatMap((i) => {
      const at = i.path as PathSegment[];
      if (i.code === 'unrecognized_keys') return i.keys.map((key) => `${formatJsonPath([...at, key])}: unknown field`);
      return [`${formatJsonPath(at)}: ${i.message}`];
    });
    throw new PolicyError('org_config_invalid', `${what} is invalid: ${problems.join('; ')}`);
  }
  return result.data;
}

function expandHome(file: string, homeDir: string): string {
  return file === '~' || file.startsWith('~/') ? path.join(homeDir, file.slice(1)) : file;
}

import fs from 'node:fs/promises';
import { z } from 'zod';

/**
 * The servers a user adds by hand, in the `mcpServers` shape they already know from Claude Desktop
 * and Cursor, so an existing config can be imported as is. Unknown keys are kept out of the way
 * (passthrough) because those files often carry client-specific extras.
 */
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const common = {
  disabled: z.boolean().optional(),
  /** Per-request timeout for this server, in ms. */
  timeoutMs: z.number().int().positive().max(3_600_000).optional(),
};

const stdioServer = z
  .object({
    type: z.literal('stdio').optional(),
    command: z.string().min(1, 'must name the program to run'),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
    ...common,
  })
  .passthrough();

const remoteServer = z
  .object({
    type: z.enum(['http', 'streamable-http', 'streamableHttp', 'sse']).optional(),
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    headers: z.record(z.string(), z.string()).optional(),
    ...common,
  })
  .passthrough();

const gatewayConfigSchema = z
  .object({
    mcpServers: z.record(z.string(), z.unknown()).default({}),
  })
  .passthrough();

export type StdioServerConfig = z.infer<typeof stdioServer> & { transport: 'stdio' };
export type RemoteServerConfig = z.infer<typeof remoteServer> & { transport: 'http' | 'sse' };
export type ServerConfig = (StdioServerConfig | RemoteServerConfig) & { name: string };

export class ConfigError extends Error {
  readonly code = 'invalid_config';
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(
      `${file} is not a valid Gatehouse config:\n${problems.map((p) => `  - ${p}`).join('\n')}\nFix these and start again; nothing was started.`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function pathOf(path: readonly PropertyKey[]): string {
  return (
    path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '') || '(root)'
  );
}

/** Parses a config document; every problem is reported with its JSON path, none is skipped. */
export function parseGatewayConfig(document: unknown, file = 'config'): ServerConfig[] {
  const problems: string[] = [];
  const top = gatewayConfigSchema.safeParse(document);
  if (!top.success) {
    throw new ConfigError(
      file,
      top.error.issues.map((i) => `${pathOf(i.path)}: ${i.message}`),
    );
  }
  const servers: ServerConfig[] = [];
  for (const [name, raw] of Object.entries(top.data.mcpServers)) {
    const at = `mcpServers.${name}`;
    if (!SERVER_NAME.test(name) || name.includes('__')) {
      problems.push(
        `${at}: server name must be 1-64 letters, digits, '.', '-' or '_' (no '__', which separates server and tool names)`,
      );
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`${at}: must be an object with "command" (a local stdio server) or "url" (a remote server)`);
      continue;
    }
    const entry = raw as Record<string, unknown>;
    if (!('command' in entry) && !('url' in entry)) {
      problems.push(`${at}: needs "command" (a local stdio server) or "url" (a remote server)`);
      continue;
    }
    const isRemote = 'url' in entry;
    const parsed = isRemote ? remoteServer.safeParse(entry) : stdioServer.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${at}.${pathOf(issue.path)}: ${issue.message}`);
      continue;
    }
    if (isRemote) {
      const remote = parsed.data as z.infer<typeof remoteServer>;
      servers.push({ ...remote, name, transport: remote.type === 'sse' ? 'sse' : 'http' });
    } else {
      servers.push({ ...(parsed.data as z.infer<typeof stdioServer>), name, transport: 'stdio' });
    }
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
  return servers;
}

export async function loadGatewayConfig(file: string): Promise<ServerConfig[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [
      code === 'ENOENT' ? 'the file does not exist' : `cannot be read (${code ?? String(cause)})`,
    ]);
  }
  let document: unknown;
  try {
    document = text.trim() === '' ? {} : JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(file, [`not valid JSON: ${(cause as Error).message}`]);
  }
  return parseGatewayConfig(document, file);
}

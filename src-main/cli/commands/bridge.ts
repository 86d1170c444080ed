import path from 'node:path';
import { runStdioBridge } from '../../core/bridge/index.ts';
// paths.ts, not config/index.ts: the config schemas cost a third of a second at every client start.
import { DEFAULT_PORT, defaultDataDir } from '../../core/config/paths.ts';
import { LocalTokenStore } from '../../core/tokens/index.ts';
import { parseCommandArgs } from '../args.ts';
import { CliError } from '../cli-error.ts';

const HELP = `Usage: gatehouse bridge [--server NAME] [--url URL] [--client ID] [--data-dir DIR]

Speaks MCP over stdio and forwards every message to the local Gatehouse, for AI clients that only
start stdio servers (Claude Desktop). The token is read from the data dir, so the client's config
holds no secret. Written into client configs by 'gatehouse clients connect'.
  --server NAME   one server's endpoint (/servers/NAME/mcp) instead of all servers (/mcp)
  --url URL       the full endpoint (default http://127.0.0.1:${DEFAULT_PORT}/mcp)
  --client ID     whose token to use (default claude-desktop)
  --data-dir DIR  where the tokens are (default ${defaultDataDir()})
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      server: { type: 'string' },
      url: { type: 'string' },
      client: { type: 'string', default: 'claude-desktop' },
      'data-dir': { type: 'string' },
    },
    HELP,
  );
  if (!parsed) return 0;
  const { values } = parsed;
  const url = endpoint(values.url, values.server);
  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
  const { token, problem } = await readToken(dataDir, values.client);
  // A client that went away closes our stdout: that ends the bridge, it is not a crash to report.
  process.stdout.on('error', () => undefined);
  await runStdioBridge({
    url,
    token,
    ...(problem ? { tokenProblem: problem } : {}),
    clientId: values.client,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  // Keep-alive sockets to the gateway must not keep a bridge alive after its client left.
  setTimeout(() => process.exit(0), 500).unref();
  return 0;
}

function endpoint(url: string | undefined, server: string | undefined): URL {
  if (url) {
    try {
      return new URL(url);
    } catch {
      throw new CliError(`--url must be a URL such as http://127.0.0.1:${DEFAULT_PORT}/mcp, got '${url}'.`, 2);
    }
  }
  const base = `http://127.0.0.1:${DEFAULT_PORT}`;
  return new URL(server ? `${base}/servers/${encodeURIComponent(server)}/mcp` : `${base}/mcp`);
}

/**
 * Reads the client's token without creating one: a revoked client must stay revoked, so a bridge
 * whose token is gone answers every request with an error that says how to reconnect.
 */
async function readToken(dataDir: string, clientId: string): Promise<{ token?: string; problem?: string }> {
  const store = new LocalTokenStore(dataDir);
  try {
    if (!(await store.list()).some((t) => t.clientId === clientId)) {
      return {
        problem: `No Gatehouse token for '${clientId}' in ${dataDir} (never connected, or revoked). Run 'gatehouse clients connect ${clientId}' and restart the AI client.`,
      };
    }
    return { token: await store.getOrCreate(clientId) };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

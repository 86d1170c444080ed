import path from 'node:path';
import {
  ApiError,
  createApiClient,
  createHttpTransport,
  WINDOW_CLIENT_ID,
  type ConnectionInfo,
  type GatewayApi,
} from '../../core/api/index.ts';
import { DEFAULT_PORT, defaultDataDir } from '../../core/config/index.ts';
import { LocalTokenStore } from '../../core/tokens/index.ts';
import { parseCommandArgs } from '../args.ts';
import { CliError } from '../cli-error.ts';

const HELP = `Usage: gatehouse connect <server> [--wait SECONDS] [--port N] [--data-dir DIR]
       gatehouse connect --list | --disconnect <server>

Signs you in to a remote MCP server that asks for it (OAuth), through the running Gatehouse: your
browser opens the server's sign-in page and Gatehouse keeps the tokens in its secret store. AI
clients never see them; until you connect, calls to the server say "Open Gatehouse to connect".
  --list          show each remote server that needs a sign-in, connected as whom, and until when
  --disconnect    revoke the server's tokens (where it allows) and delete them
  --wait SECONDS  how long to wait for the browser step (default 300)
  --port N        the gateway's port (default ${DEFAULT_PORT})
  --data-dir DIR  the gateway's data dir (default ${defaultDataDir()})
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      list: { type: 'boolean', default: false },
      disconnect: { type: 'boolean', default: false },
      wait: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
    },
    HELP,
    { allowPositionals: true },
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const server = positionals[0];
  if (!values.list && (!server || positionals.length > 1)) throw new CliError(`Name one server.\n\n${HELP}`, 2);
  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
  const port = values.port ? Number(values.port) : DEFAULT_PORT;
  const token = await new LocalTokenStore(dataDir).getOrCreate(WINDOW_CLIENT_ID);
  const api = createApiClient(createHttpTransport({ baseUrl: `http://127.0.0.1:${port}`, token }));
  try {
    if (values.list) return await list(api);
    if (values.disconnect) {
      const { revoked } = await api.disconnectServer({ server: server! });
      process.stdout.write(
        `Disconnected ${server}${revoked ? '; its tokens were revoked at its authorization server' : ''}.\n`,
      );
      return 0;
    }
    const waitSeconds = values.wait ? Number(values.wait) : 300;
    return await connect(api, server!, waitSeconds * 1000);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'unreachable')
      throw new CliError(`${error.message} Start it with 'gatehouse serve' (or the app), then try again.`);
    if (error instanceof ApiError) throw new CliError(error.message);
    throw error;
  }
}

async function connect(api: GatewayApi, server: string, waitMs: number): Promise<number> {
  const { authorizationUrl } = await api.connectServer({ server });
  process.stdout.write(`Sign in to ${server} in your browser. If no browser opened, open:\n  ${authorizationUrl}\n`);
  const deadline = Date.now() + waitMs;
  let last: ConnectionInfo | undefined;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    last = (await api.listConnections()).find((c) => c.server === server);
    if (last?.state === 'connected') {
      process.stdout.write(`Connected ${server}${last.user ? ` as ${last.user}` : ''}.\n`);
      return 0;
    }
    if (last?.state === 'error' || last?.state === 'needs-consent') break;
  }
  throw new CliError(`Connecting ${server} did not finish: ${last?.error ?? 'no answer from the browser step'}.`);
}

async function list(api: GatewayApi): Promise<number> {
  const connections = await api.listConnections();
  if (connections.length === 0) {
    process.stdout.write('No remote server has asked for a sign-in.\n');
    return 0;
  }
  for (const c of connections) {
    const who = c.user ? ` as ${c.user}` : '';
    const until = c.expiresAt ? `, token until ${c.expiresAt}` : '';
    process.stdout.write(`${c.server}: ${c.state}${who}${until}${c.error ? ` (${c.error})` : ''}\n`);
  }
  return 0;
}

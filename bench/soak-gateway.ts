// The gateway under soak, in its own process so that its RSS, open file descriptors and child
// processes are read from its own /proc entry and not the load generator's. It is the real
// `createGateway` (audit on, as users run it); the parent asks for the session count over IPC,
// because only the process that holds the router can count its sessions.
//   argv[2]: JSON { dataDir, servers: mcpServers } ; prints one line `ready <port> <token>`
import { parseGatewayConfig } from '../src-main/core/config/index.ts';
import { createGateway } from '../src-main/core/gateway/index.ts';

type Options = { dataDir: string; mcpServers: Record<string, unknown> };

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
const gateway = await createGateway({
  dataDir: options.dataDir,
  port: 0,
  servers: parseGatewayConfig({ mcpServers: options.mcpServers }),
  // SOAK_AUDIT=off: calls are not recorded, to tell the audit index's growth from a leak.
  ...(process.env.SOAK_AUDIT === 'off' && { audit: false as const }),
  log: (line) => process.stderr.write(`${line}\n`),
});
const token = await gateway.tokens.getOrCreate('soak');

process.on('message', (message: { type?: string }) => {
  if (message.type === 'stats') {
    const states = [...gateway.pool.all()].map((u) => u.connection.state);
    process.send!({ type: 'stats', sessions: gateway.router.sessionCount, upstreamStates: states });
  }
});

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  await gateway.close();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown());
process.once('disconnect', () => void shutdown());

process.stdout.write(`ready ${gateway.port} ${token}\n`);

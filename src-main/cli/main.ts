// The `gatehouse` command: one file per subcommand under ./commands, loaded on demand so that
// `gatehouse bridge` (started by AI clients) does not pay for modules it never uses.
import { CliError } from './cli-error.ts';

type CommandModule = { run(argv: string[]): Promise<number> };

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  serve: { summary: 'run the gateway in the foreground', load: () => import('./commands/serve.ts') },
  token: { summary: 'print a local client token for the data dir', load: () => import('./commands/token.ts') },
  login: { summary: 'sign in to your organisation (browser, or --device)', load: () => import('./commands/login.ts') },
  status: {
    summary: 'who is signed in, the policy in force, and each server',
    load: () => import('./commands/status.ts'),
  },
  logout: { summary: 'sign out and revoke the sign-in at the IdP', load: () => import('./commands/logout.ts') },
  clients: {
    summary: 'connect AI clients (Cursor, Claude, VS Code, ...) to Gatehouse',
    load: () => import('./commands/clients.ts'),
  },
  bridge: {
    summary: 'stdio MCP bridge to Gatehouse, for stdio-only clients',
    load: () => import('./commands/bridge.ts'),
  },
  policy: {
    summary: 'check a policy document (validate) or print its JSON Schema',
    load: () => import('./commands/policy.ts'),
  },
  connect: { summary: 'sign in to a remote MCP server that asks for it', load: () => import('./commands/connect.ts') },
  'org-server': { summary: 'run the reference org policy server', load: () => import('./commands/org-server.ts') },
  audit: {
    summary: 'read the local audit log: tail, query, verify, export',
    load: () => import('./commands/audit.ts'),
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: gatehouse <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'gatehouse <command> --help' for the options of one command.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`gatehouse: unknown command '${name}'.\n\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CliError) {
      process.stderr.write(`gatehouse: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(
        `gatehouse: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    }
  },
);

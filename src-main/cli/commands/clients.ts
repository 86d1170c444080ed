import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ClientConfigError,
  ClientConnections,
  CLIENTS,
  hostFromProcess,
  localTokenDeps,
} from '../../core/clients/index.ts';
import { DEFAULT_PORT, defaultDataDir } from '../../core/config/index.ts';
import { CliError } from '../cli-error.ts';
import type { ClientStatus } from '../../core/clients/index.ts';

const HELP = `Usage: gatehouse clients <list|status|connect|disconnect> [NAME] [options]

  list                 every known AI client: installed?, connected?, its config file
  status [NAME]        the same for one client (or all), with what drifted and why
  connect NAME         add the "gatehouse" entry to the client's own config (again = repair)
  disconnect NAME      undo: restores the original file if unchanged since, else removes our entry

Options:
  --dry-run            show the change as a unified diff, write nothing
  --server NAME        a separate entry "gatehouse-NAME" for one server (/servers/NAME/mcp)
  --port N             the gateway port written into configs (default ${DEFAULT_PORT})
  --data-dir DIR       where tokens, records and backups live (default ${defaultDataDir()})
  --json               machine-readable output

Clients: ${CLIENTS.map((c) => c.id).join(', ')}
`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'dry-run': { type: 'boolean', default: false },
        server: { type: 'string' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${HELP}`, 2);
  }
  const { values, positionals } = parsed;
  const [action, name, ...extra] = positionals;
  if (values.help || !action) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  if (extra.length > 0) throw new CliError(`Unexpected arguments: ${extra.join(' ')}\n\n${HELP}`, 2);
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new CliError(`--port must be a port number (1-65535), got '${values.port}'.`, 2);
  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
  const connections = new ClientConnections({ host: hostFromProcess(), dataDir, port, ...localTokenDeps(dataDir) });
  const entry = { ...(values.server ? { server: values.server } : {}), dryRun: values['dry-run'] };
  const print = (value: unknown, text: string) =>
    process.stdout.write(values.json ? `${JSON.stringify(value, null, 2)}\n` : text);

  try {
    switch (action) {
      case 'list':
      case 'status': {
        const statuses = name ? [await connections.status(name, entry)] : await connections.list();
        print(name && values.json ? statuses[0] : statuses, statusTable(statuses, action === 'status'));
        return 0;
      }
      case 'connect': {
        const result = await connections.connect(required(name, action), entry);
        for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
        if (result.dryRun)
          print(result, result.diff || `${tilde(result.file)} already has the entry; nothing would change.\n`);
        else if (!result.changed)
          print(result, `${name} is already connected (${tilde(result.file)}); nothing changed.\n`);
        else
          print(
            result,
            `Connected ${name}: updated ${tilde(result.file)}${result.backup ? ` (backup: ${tilde(result.backup)})` : ''}.\nNext: ${result.reloadHint}\n`,
          );
        return 0;
      }
      case 'disconnect': {
        const result = await connections.disconnect(required(name, action), entry);
        if (result.dryRun) print(result, result.diff || `No Gatehouse entry for ${name}; nothing would change.\n`);
        else if (result.action === 'nothing-to-do') print(result, `No Gatehouse entry for ${name}; nothing changed.\n`);
        else
          print(
            result,
            `Disconnected ${name}: ${result.action === 'restored' ? 'restored the original' : 'removed the entry from'} ${result.files.map(tilde).join(', ')}.\nNext: ${result.reloadHint}\n`,
          );
        return 0;
      }
      default:
        throw new CliError(`Unknown action '${action}'.\n\n${HELP}`, 2);
    }
  } catch (error) {
    if (error instanceof ClientConfigError) throw new CliError(error.message, error.code === 'unknown-client' ? 2 : 1);
    throw error;
  }
}

function required(name: string | undefined, action: string): string {
  if (!name)
    throw new CliError(`'gatehouse clients ${action}' needs a client name: ${CLIENTS.map((c) => c.id).join(', ')}.`, 2);
  return name;
}

function statusTable(statuses: ClientStatus[], detailed: boolean): string {
  const rows = statuses.map((s) => [s.id, s.state, tilde(s.file)]);
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length), i === 0 ? 6 : 5));
  const lines = [`${'CLIENT'.padEnd(widths[0]!)}  ${'STATE'.padEnd(widths[1]!)}  CONFIG FILE`];
  for (const [index, row] of rows.entries()) {
    lines.push(`${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padEnd(widths[1]!)}  ${row[2]}`);
    const status = statuses[index]!;
    for (const problem of status.problems) lines.push(`${' '.repeat(widths[0]! + 2)}- ${problem}`);
    if (status.state === 'drifted')
      lines.push(`${' '.repeat(widths[0]! + 2)}  repair: gatehouse clients connect ${status.id}`);
    if (detailed && status.state !== 'not-installed') lines.push(`${' '.repeat(widths[0]! + 2)}  ${status.reloadHint}`);
  }
  return `${lines.join('\n')}\n`;
}

function tilde(file: string): string {
  const home = os.homedir();
  return file.startsWith(home + path.sep) ? `~${file.slice(home.length)}` : file;
}

import { defaultDataDir } from '../../core/config/index.ts';
import { LocalTokenStore } from '../../core/tokens/index.ts';
import { parseCommandArgs } from '../args.ts';
import { CliError } from '../cli-error.ts';

const HELP = `Usage: gatehouse token [--client NAME] [--revoke NAME] [--list] [--data-dir DIR]

Prints the local client token that AI clients send as "Authorization: Bearer <token>",
creating it if needed. Each client can have its own token (--client), revoked alone (--revoke).
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      client: { type: 'string', default: 'default' },
      revoke: { type: 'string' },
      list: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
    },
    HELP,
  );
  if (!parsed) return 0;
  const { values } = parsed;
  const store = new LocalTokenStore(values['data-dir'] ?? defaultDataDir());
  if (values.revoke) {
    if (!(await store.revoke(values.revoke))) throw new CliError(`No token for client '${values.revoke}'.`);
    process.stdout.write(`Revoked the token of '${values.revoke}'.\n`);
    return 0;
  }
  if (values.list) {
    for (const t of await store.list()) process.stdout.write(`${t.clientId}\t${t.createdAt}\n`);
    return 0;
  }
  try {
    process.stdout.write(`${await store.getOrCreate(values.client)}\n`);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  return 0;
}

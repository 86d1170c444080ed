import path from 'node:path';
import { createAuthClient, readSignInStatus } from '../../core/auth/index.ts';
import { defaultDataDir } from '../../core/config/index.ts';
import { forgetOrgCredentials } from '../../core/credentials/index.ts';
import { openHeadlessSecretStore } from '../../core/secrets/index.ts';
import { parseCommandArgs } from '../args.ts';

const HELP = `Usage: gatehouse logout [--data-dir DIR]

Signs you out: the sign-in is revoked at your organisation's IdP and removed from this computer.
  --data-dir DIR  where the sign-in is kept (default ${defaultDataDir()})
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      'data-dir': { type: 'string' },
    },
    HELP,
  );
  if (!parsed) return 0;
  const { values } = parsed;
  const secretStore = openHeadlessSecretStore(path.resolve(values['data-dir'] ?? defaultDataDir()));
  const status = await readSignInStatus(secretStore);
  if (!status.signedIn) {
    process.stdout.write('Not signed in.\n');
    return 0;
  }
  // The stored sign-in names its IdP: signing out needs no org configuration.
  const client = createAuthClient({
    issuer: status.issuer,
    clientId: status.clientId,
    secretStore,
    allowInsecureHttp: true,
    requestTimeoutSeconds: 10,
    openBrowser: async () => undefined,
  });
  const result = await client.logout();
  // Org secrets and keys entered for org servers leave with the sign-in (a running gateway does the same).
  await forgetOrgCredentials(secretStore);
  const who = status.user.email ?? status.user.sub;
  if (!result.revoked) {
    process.stdout.write(`Signed out ${who} on this computer.\n`);
    process.stderr.write(
      `Warning: the IdP could not be told (${result.error?.message ?? 'unknown error'}). The sign-in ends when it expires at the IdP.\n`,
    );
    return 0;
  }
  process.stdout.write(`Signed out ${who}; the sign-in was revoked at ${status.issuer}.\n`);
  return 0;
}

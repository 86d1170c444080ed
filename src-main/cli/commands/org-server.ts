// `gatehouse org-server`: the reference org server (policy endpoint + push channel + discovery).
import { parseArgs } from 'node:util';
import { loadSigningKey, OrgServerError, startOrgServer } from '../../org-server/index.ts';
import { CliError } from '../cli-error.ts';

const DEFAULT_PORT = 7392;

const USAGE = `Usage: gatehouse org-server --policy FILE --issuer URL --audience AUD [options]

Serves FILE at GET /policy to users whose access token (a JWT from the IdP at --issuer, for
audience AUD) verifies; pushes 'changed' on GET /policy/events when FILE changes; publishes
GET /.well-known/gatehouse for 'gatehouse login --org URL'.

Options:
  --policy FILE        policy document, or a variants file (see docs/policy.md)
  --issuer URL         IdP issuer URL
  --audience AUD       audience the access tokens must carry
  --port N             port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  --host HOST          address to bind (default 127.0.0.1)
  --sign-key FILE      sign documents with this private key (JWK or PKCS#8 PEM)
  --secrets FILE       org secrets ({"<secretRef>": "<value>"}), each user gets those of their
                       allowed servers at GET /policy/secrets
  --client-id ID       the Gatehouse app's OIDC client id, for the discovery document
  --jwks-uri URL       IdP keys (default: from the issuer's OpenID metadata)
  --public-url URL     base URL laptops use to reach this server (default http://HOST:PORT)
  --org-name NAME      shown in the Gatehouse window
  --contact TEXT       whom users ask about access
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      policy: { type: 'string' },
      issuer: { type: 'string' },
      audience: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'sign-key': { type: 'string' },
      secrets: { type: 'string' },
      'client-id': { type: 'string' },
      'jwks-uri': { type: 'string' },
      'public-url': { type: 'string' },
      'org-name': { type: 'string' },
      contact: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const missing = (['policy', 'issuer', 'audience'] as const).filter((name) => !values[name]);
  if (missing.length > 0) throw new CliError(`missing ${missing.map((m) => `--${m}`).join(', ')}.\n\n${USAGE}`, 2);
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port must be a port number, got '${values.port}'.`, 2);

  try {
    const signingKey = values['sign-key'] ? await loadSigningKey(values['sign-key']) : undefined;
    const server = await startOrgServer({
      policyFile: values.policy!,
      issuer: values.issuer!,
      audience: values.audience!,
      port,
      host: values.host,
      signingKey,
      secretsFile: values.secrets,
      clientId: values['client-id'],
      jwksUri: values['jwks-uri'],
      publicUrl: values['public-url'],
      orgName: values['org-name'],
      contact: values.contact,
    });
    process.stdout.write(
      `gatehouse org server on ${server.url}\n  policy      ${server.url}/policy (${values.policy})\n  push        ${server.url}/policy/events\n  discovery   ${server.url}/.well-known/gatehouse\n`,
    );
    if (signingKey)
      process.stdout.write(
        `  signing key ${signingKey.kid} (${signingKey.alg}); public JWK for the managed config:\n  ${JSON.stringify(signingKey.publicJwk)}\n`,
      );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    return 0;
  } catch (error) {
    if (error instanceof OrgServerError) throw new CliError(error.message);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError(`port ${port} is in use; pick another with --port (0 picks a free one).`);
    }
    throw error;
  }
}

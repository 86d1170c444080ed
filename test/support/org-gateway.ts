import type { GatewayDeps } from '../../src-main/core/gateway/index.ts';
import { FileSecretStore } from '../../src-main/core/secrets/index.ts';
import { startOrgServer, type OrgServerOptions, type RunningOrgServer } from '../../src-main/org-server/index.ts';

/** The audience the test org server's policy endpoint expects (test/support/idp.ts issues it). */
export const TEST_POLICY_RESOURCE = 'https://org.example.test/policy';

/**
 * `createGateway`'s org-mode deps for the test IdP and a reference org server, as a managed config
 * would set them: "Example Org", the policy at `<orgServerUrl>/policy`, secrets in `dataDir`,
 * loopback http allowed. `config` adds to the org config (signing keys), `extra` to the deps.
 */
export function testOrgDeps(options: {
  idp: { issuer: string; clientId: string };
  orgServerUrl: string;
  dataDir: string;
  openBrowser: (url: string) => Promise<void>;
  config?: Partial<NonNullable<GatewayDeps['org']>['org']>;
  extra?: Partial<NonNullable<GatewayDeps['org']>>;
}): NonNullable<GatewayDeps['org']> {
  return {
    org: {
      orgName: 'Example Org',
      issuer: options.idp.issuer,
      clientId: options.idp.clientId,
      policyEndpoint: `${options.orgServerUrl}/policy`,
      policyResource: TEST_POLICY_RESOURCE,
      ...options.config,
    },
    secretStore: new FileSecretStore({ dataDir: options.dataDir }),
    openBrowser: options.openBrowser,
    allowInsecureHttp: true,
    ...options.extra,
  };
}

/**
 * The reference org server for the test IdP: tokens from `idp` for TEST_POLICY_RESOURCE, quiet
 * logs. `options` names the policy file and anything else (secrets, signing key).
 */
export function startTestOrgServer(
  idp: { issuer: string; jwksUri: string; clientId: string },
  options: Partial<OrgServerOptions> & { policyFile: string },
): Promise<RunningOrgServer> {
  return startOrgServer({
    issuer: idp.issuer,
    audience: TEST_POLICY_RESOURCE,
    jwksUri: idp.jwksUri,
    clientId: idp.clientId,
    logger: { info: () => {}, error: () => {} },
    ...options,
  });
}

// The embedded demo org: a real IdP, the reference org server with a sample policy, real MCP
// servers, and Gatehouse in org mode signed in as a demo user, all on loopback with free ports.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { WINDOW_CLIENT_ID, windowUrl } from '../core/api/index.ts';
import { createAuditBatchHandler } from '../core/audit/index.ts';
import { openInSystemBrowser, type SignedInUser } from '../core/auth/index.ts';
import { createGateway, type DemoHooks, type Gateway } from '../core/gateway/index.ts';
import { saveOrgUrl, type AuditSinkConfig } from '../core/policy/index.ts';
import { openHeadlessSecretStore } from '../core/secrets/index.ts';
import { startOrgServer, type RunningOrgServer } from '../org-server/index.ts';
import { demoLayout, prepareDemoFiles, type DemoLayout } from './demo-files.ts';
import {
  DEMO_CONTACT,
  DEMO_SHARED_SECRET,
  demoPolicy,
  nodeServerLauncher,
  type DemoServerLauncher,
} from './demo-policy.ts';
import { browseHeadless } from './headless-browser.ts';
import { startIdentityEcho, type IdentityEcho } from './identity-echo.ts';
import { DEFAULT_IDP_USERS, startIdp, type Idp } from './idp.ts';
import { openOrgAuditFile } from './org-audit-file.ts';

export const DEMO_USERS = DEFAULT_IDP_USERS;
const DEMO_ORG_NAME = 'Demo Org';
/** The policy endpoint's resource (RFC 8707): the audience of the tokens the org server accepts. */
const POLICY_RESOURCE = 'https://org.demo.gatehouse.test/policy';
/** How long the demo waits for its servers before it reports them as they are. */
const SERVERS_READY_MS = 30_000;

export type DemoOrgOptions = {
  dataDir: string;
  /** The gateway's port; 0 picks a free one. */
  port: number;
  /** Who is signed in at start: alice (default), bob or carol. */
  user?: string;
  /** Open the system browser for sign-ins started in the window (default true). */
  openSystemBrowser?: boolean;
  /** The Node binary that runs the stdio servers; default the one running this process. */
  node?: string;
  /** How the stdio servers start instead (the packaged app runs them with its own executable). */
  serverLauncher?: DemoServerLauncher;
  /** The app's switch between the demo and the user's own setup, for the API's startDemo/stopDemo. */
  demoHooks?: DemoHooks;
  /** Progress and problems, one line each (the gateway's own log included). */
  log?: (line: string) => void;
  /** Audit sinks besides the org server's receiver, as a managed config would add (an OTLP collector). */
  auditSinks?: AuditSinkConfig[];
};

export type DemoOrg = {
  readonly layout: DemoLayout;
  readonly gateway: Gateway;
  readonly idp: Idp;
  readonly orgServer: RunningOrgServer;
  readonly identityEcho: IdentityEcho;
  readonly user: SignedInUser;
  /** The local client token AI clients use (`gatehouse token --data-dir <dataDir>` prints it too). */
  readonly clientToken: string;
  /** The window in a browser, with its token in the fragment. */
  readonly windowLink: string;
  /** Servers of the policy and their state when the demo was ready. */
  readonly servers: { name: string; enabled: boolean; state: string; tools: number | null; endpoint: string }[];
  /** Stops Gatehouse (and every server it started), the org server, the echo server and the IdP. */
  close(): Promise<void>;
};

export async function startDemoOrg(options: DemoOrgOptions): Promise<DemoOrg> {
  const log = options.log ?? (() => {});
  const user = options.user ?? 'alice';
  if (!DEMO_USERS.some((u) => u.sub === user)) {
    throw new Error(`There is no demo user '${user}'; pick one of ${DEMO_USERS.map((u) => u.sub).join(', ')}.`);
  }
  const layout = demoLayout(options.dataDir);
  await prepareDemoFiles(layout);

  // Everything started so far, stopped in reverse order if a later step fails.
  const started: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    while (started.length)
      await started.pop()!().catch((error: Error) => log(`demo: while stopping: ${error.message}`));
  };
  try {
    const idp = await startIdp({ keyFile: layout.idpKeyFile });
    started.push(() => idp.stop());
    const sharedSecret = randomBytes(24).toString('base64url');
    const identityEcho = await startIdentityEcho({
      issuer: idp.issuer,
      jwksUri: idp.jwksUri,
      sharedSecret: { header: DEMO_SHARED_SECRET.header, value: sharedSecret },
    });
    started.push(() => identityEcho.close());

    // Rewritten at every start: the identity echo's URL (a free port) is in it.
    const policy = demoPolicy({
      launch: options.serverLauncher ?? nodeServerLauncher(options.node ?? process.execPath),
      sandboxDir: layout.sandboxDir,
      memoryFile: layout.memoryFile,
      identityUrl: identityEcho.url,
    });
    await fs.writeFile(layout.policyFile, `${JSON.stringify(policy, null, 2)}\n`);
    const orgServer = await startOrgServer({
      policyFile: layout.policyFile,
      issuer: idp.issuer,
      audience: POLICY_RESOURCE,
      jwksUri: idp.jwksUri,
      clientId: idp.clientId,
      orgName: DEMO_ORG_NAME,
      contact: DEMO_CONTACT,
      logger: { info: (m) => log(`org server: ${m}`), error: (m) => log(`org server: ${m}`) },
      // The org's copy of the audit trail: Gatehouse ships every record here with the user's token.
      auditHandler: createAuditBatchHandler({ store: await openOrgAuditFile(layout.orgAuditFile) }),
    });
    started.push(() => orgServer.close());

    // Joined like `gatehouse login --org URL` would, so `gatehouse status --data-dir` knows the org.
    const { config } = await saveOrgUrl({ dataDir: layout.dataDir, orgUrl: orgServer.url });
    const secretStore = openHeadlessSecretStore(layout.dataDir);
    // The org hands its shared secret to laptops out of band; the demo puts it where Gatehouse looks.
    await secretStore.set(`org-secret:${DEMO_SHARED_SECRET.secretRef}`, sharedSecret);

    const late: { gateway?: Gateway } = {};
    const gateway = await createGateway({
      dataDir: layout.dataDir,
      port: options.port,
      org: {
        org: options.auditSinks ? { ...config, auditSinks: options.auditSinks } : config,
        secretStore,
        openBrowser: demoBrowser(() => late.gateway?.org?.currentUser(), options.openSystemBrowser ?? true, log),
        allowInsecureHttp: true,
      },
      // AI client configs written from the window's Clients view land in the demo's stand-in home.
      host: { platform: hostPlatform(), homeDir: layout.homeDir, env: {} },
      orgUrl: { url: orgServer.url, managed: false },
      ...(options.demoHooks && { demo: options.demoHooks }),
      log,
    });
    late.gateway = gateway;
    started.push(() => gateway.close());

    const signedIn = await gateway.org!.login({ loginHint: user });
    const servers = await serversWhenReady(gateway, Object.keys(policy.servers as object));
    const origin = `http://127.0.0.1:${gateway.port}`;
    return {
      layout,
      gateway,
      idp,
      orgServer,
      identityEcho,
      user: signedIn,
      clientToken: await gateway.tokens.getOrCreate(),
      windowLink: windowUrl(origin, await gateway.tokens.getOrCreate(WINDOW_CLIENT_ID)),
      servers,
      close: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The demo's "browser". The first sign-in names its user (`login_hint`), and the demo IdP signs
 * that user in without a form. A sign-in started from the window has no hint: a person chooses
 * the user on the IdP's page in a real browser. A second round for the same user (Gatehouse asks
 * again when the policy names resources the first round did not cover) is done here, as the IdP
 * session in a real browser would make it a mere redirect.
 */
function demoBrowser(
  currentUser: () => SignedInUser | undefined,
  openSystemBrowser: boolean,
  log: (line: string) => void,
): (url: string) => Promise<void> {
  return async (url) => {
    const page = new URL(url);
    const hint = page.searchParams.get('login_hint') ?? currentUser()?.sub;
    if (hint) {
      page.searchParams.set('login_hint', hint);
      const result = await browseHeadless(page.href);
      if (result.status >= 400) throw new Error(`The demo IdP refused the sign-in: HTTP ${result.status}`);
      return;
    }
    log(
      `Sign-in page of the demo IdP: ${url}\n  Sign in as ${DEMO_USERS.map((u) => u.sub).join(', ')} (any password).`,
    );
    if (openSystemBrowser) await openInSystemBrowser(url).catch(() => {});
  };
}

/** Waits until every enabled server of the policy is connected with its lists (or failed), up to 30 s. */
async function serversWhenReady(gateway: Gateway, names: string[]): Promise<DemoOrg['servers']> {
  const deadline = Date.now() + SERVERS_READY_MS;
  const settled = () =>
    names.every((name) => {
      const entry = gateway.pool.get(name);
      if (!entry) return false;
      if (!entry.enabled) return true;
      return (entry.connection.state === 'ready' && entry.lists !== undefined) || entry.connection.state === 'error';
    });
  while (!settled() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return names.map((name) => {
    const entry = gateway.pool.get(name);
    return {
      name,
      enabled: entry?.enabled ?? false,
      state: entry ? (entry.enabled ? entry.connection.state : 'off') : 'missing',
      tools: entry?.lists?.tools.length ?? null,
      endpoint: gateway.serverEndpoint(name),
    };
  });
}

function hostPlatform(): 'darwin' | 'win32' | 'linux' {
  return process.platform === 'darwin' || process.platform === 'win32' ? process.platform : 'linux';
}

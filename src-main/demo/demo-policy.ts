// The demo org's policy: what a small org would publish, written out as a file the person trying
// the demo can edit (the reference org server watches it and pushes every change).
import { createRequire } from 'node:module';
import path from 'node:path';
import { validatePolicy } from '../core/policy/index.ts';

/** Where the demo's stdio servers come from: the MCP reference servers installed with Gatehouse. */
const SERVER_PACKAGES = {
  filesystem: '@modelcontextprotocol/server-filesystem',
  memory: '@modelcontextprotocol/server-memory',
  everything: '@modelcontextprotocol/server-everything',
} as const;

/** Write tools of the filesystem server: the sales group gets the shared files read-only. */
const FILESYSTEM_WRITE_TOOLS = ['write_file', 'edit_file', 'create_directory', 'move_file'];

export const DEMO_CONTACT = 'it-help@demo.gatehouse.test';
/** The header and secret reference of the shared secret the identity echo server also checks. */
export const DEMO_SHARED_SECRET = { header: 'X-Gatehouse-Secret', secretRef: 'demo-identity-echo' };

export type DemoServerName = keyof typeof SERVER_PACKAGES;

/** How a stdio server of the demo is started: its command line, given the server and its arguments. */
export type DemoServerLauncher = (server: DemoServerName, args: string[]) => { command: string; args: string[] };

/** `node <the package's bin> args…`: the CLI and tests, where a Node binary runs the servers. */
export function nodeServerLauncher(node: string): DemoServerLauncher {
  return (server, args) => ({ command: node, args: [serverEntry(server), ...args] });
}

export type DemoPolicyInput = {
  /** How the stdio servers start (a Node binary, or the packaged app's own executable). */
  launch: DemoServerLauncher;
  sandboxDir: string;
  memoryFile: string;
  /** URL of the identity echo server; also the resource (audience) of the token it gets. */
  identityUrl: string;
};

/**
 * The sample policy. Everyone signed in gets the memory server and the identity echo; the eng group
 * gets everything; sales gets the shared files without the write tools; nobody deletes from memory.
 */
export function demoPolicy(input: DemoPolicyInput): Record<string, unknown> {
  const policy = {
    $schema: 'https://gatehouse.dev/schema/policy.schema.json',
    version: 1,
    policyVersion: 'demo-1',
    issuedAt: new Date().toISOString(),
    staleAfterSeconds: 3600,
    contact: DEMO_CONTACT,
    // Parameters (secrets masked) in the audit log, so the window's live log shows what was called with what.
    auditLevel: 'arguments',
    servers: {
      filesystem: {
        title: 'Shared files (demo sandbox)',
        ...input.launch('filesystem', [input.sandboxDir]),
      },
      memory: {
        title: 'Team memory',
        ...input.launch('memory', []),
        env: { MEMORY_FILE_PATH: input.memoryFile },
      },
      everything: {
        title: 'MCP test server (every feature)',
        ...input.launch('everything', ['stdio']),
      },
      identity: {
        title: 'Identity echo (shows the identity it verified)',
        url: input.identityUrl,
        mode: 'locked-on',
        identity: {
          accessToken: { resource: input.identityUrl },
          claimHeaders: { email: 'X-User-Email' },
          sharedSecret: DEMO_SHARED_SECRET,
        },
      },
    },
    rules: [
      { id: 'everyone', effect: 'allow', servers: ['memory', 'identity'] },
      { id: 'eng-everything', effect: 'allow', when: { groups: ['eng'] }, servers: ['*'] },
      { id: 'sales-files', effect: 'allow', when: { groups: ['sales'] }, servers: ['filesystem'] },
      {
        id: 'sales-read-only',
        effect: 'deny',
        when: { groups: ['sales'] },
        servers: ['filesystem'],
        tools: FILESYSTEM_WRITE_TOOLS,
        description: 'Sales has read-only access to the shared files.',
      },
      {
        id: 'no-memory-deletes',
        effect: 'deny',
        servers: ['memory'],
        tools: ['delete_*'],
        description: 'Nobody deletes from the team memory during the demo.',
      },
    ],
  };
  // The sample must always be a valid policy: a mistake here would be a demo that fails closed.
  const checked = validatePolicy(policy);
  if (!checked.ok) {
    throw new Error(`The demo policy is invalid: ${checked.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  }
  return policy;
}

const require = createRequire(import.meta.url);

/** The file a demo server's package runs (its `bin`). */
export function serverEntry(name: DemoServerName): string {
  const pkg = SERVER_PACKAGES[name];
  let manifest: string;
  try {
    manifest = require.resolve(`${pkg}/package.json`);
  } catch (cause) {
    throw new Error(`The demo needs ${pkg}, which is not installed: run 'npm ci' in the Gatehouse checkout.`, {
      cause,
    });
  }
  const bin = (require(manifest) as { bin: Record<string, string> }).bin;
  return path.join(path.dirname(manifest), Object.values(bin)[0]!);
}

// What `gatehouse serve --demo` prints once the demo org is ready: where everything is and what to
// try. The labelled lines are stable (the demo test reads them); keep their labels when editing.
import type { DemoOrg } from './demo-org.ts';
import { DEMO_USERS } from './demo-org.ts';

/** The last line: everything above it is printed and the demo is ready. */
export const DEMO_READY_LINE = 'The demo is ready. Press Ctrl-C to stop it (everything it started stops with it).';

export function demoBanner(demo: DemoOrg): string {
  const { gateway, user, layout } = demo;
  const dataDir = shellQuote(layout.dataDir);
  const auth = shellQuote(`Authorization: Bearer ${demo.clientToken}`);
  const inspector = `npx @modelcontextprotocol/inspector --cli ${gateway.endpoint} --header ${auth}`;
  const who = (sub: string) => {
    const u = DEMO_USERS.find((candidate) => candidate.sub === sub)!;
    return `${u.sub} (${u.groups.length ? u.groups.join(', ') : 'no groups'})`;
  };
  const lines = [
    'Gatehouse demo org',
    '',
    `  Signed in as:   ${user.email ?? user.sub} (${user.name ?? user.sub}), groups: ${user.groups.join(', ') || 'none'}`,
    `  Endpoint:       ${gateway.endpoint}`,
    `  Client token:   ${demo.clientToken}`,
    `  Window:         ${demo.windowLink}`,
    `  Policy file:    ${layout.policyFile}`,
    '                  (edit it to see a revocation bite: the org server pushes every saved change)',
    `  Data dir:       ${layout.dataDir}`,
    `  Sandbox:        ${layout.sandboxDir}`,
    `  Demo IdP:       ${demo.idp.issuer}  users: ${DEMO_USERS.map((u) => who(u.sub)).join(', ')}`,
    `  Org server:     ${demo.orgServer.url}`,
    `  Org audit log:  ${layout.orgAuditFile}  (what Gatehouse shipped to the org)`,
    '',
    'Servers from the org policy:',
    ...demo.servers.map(
      (s) =>
        `  ${s.name.padEnd(12)} ${(s.enabled ? s.state : 'not allowed').padEnd(11)} ${s.tools ?? '-'} tools  ${s.endpoint}`,
    ),
    '',
    'Try next:',
    `  ${inspector} --method tools/list`,
    `  ${inspector} --method tools/call --tool-name identity__whoami`,
    `  npx gatehouse status --json --port ${gateway.port} --data-dir ${dataDir}`,
    `  npx gatehouse audit tail --data-dir ${dataDir}`,
    '  Revoke a tool: add this rule to "rules" in the policy file, save, and call the tool again:',
    '    { "id": "no-graph-reads", "effect": "deny", "servers": ["memory"], "tools": ["read_graph"] }',
    "  Switch user: in the window's Account view, Sign out, then Sign in as bob (any password) on the IdP's page",
    `  (or restart with --demo-user bob). Connect an AI client by hand with the endpoint and token above.`,
    '',
    DEMO_READY_LINE,
  ];
  return `${lines.join('\n')}\n`;
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

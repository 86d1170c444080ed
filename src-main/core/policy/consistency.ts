import type { PolicyRule, PolicyServer, RemotePolicyServer } from './schema.ts';

export type CrossFieldIssue = { path: (string | number)[]; message: string };

// Headers that carry the connection or an identity: only Gatehouse itself may set them.
const RESERVED_HEADERS = new Set(['authorization', 'cookie', 'host', 'content-length', 'proxy-authorization']);

/**
 * Checks that span fields and so cannot be said in the JSON Schema: unique rule ids, and that each
 * upstream header has exactly one source. Takes the parts that are individually valid, so that
 * `policy validate` can report these next to structural errors elsewhere in the same file
 * (`rules` may have holes where a rule did not parse).
 */
export function crossFieldIssues(doc: {
  servers: Readonly<Record<string, PolicyServer>>;
  rules: readonly (PolicyRule | undefined)[];
}): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  const seenIds = new Map<string, number>();
  doc.rules.forEach((rule, index) => {
    if (rule?.id === undefined) return;
    const first = seenIds.get(rule.id);
    if (first === undefined) seenIds.set(rule.id, index);
    else
      issues.push({
        path: ['rules', index, 'id'],
        message: `duplicates the id of rules[${first}]; rule ids must be unique`,
      });
  });
  for (const [id, server] of Object.entries(doc.servers)) {
    if ('url' in server) issues.push(...headerIssues(server, ['servers', id]));
  }
  return issues;
}

function headerIssues(server: RemotePolicyServer, at: (string | number)[]): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  const owners = new Map<string, string>();
  const claim = (name: string, path: (string | number)[], allowAuthorization = false) => {
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower) && !(allowAuthorization && lower === 'authorization')) {
      const message =
        path[0] === 'headers' && lower === 'authorization'
          ? 'Authorization is a secret: inject it with `credentials` (by secretRef) or use identity.accessToken'
          : `${name} cannot be set here; Gatehouse sets it itself`;
      issues.push({ path: [...at, ...path], message });
      return;
    }
    const owner = owners.get(lower);
    if (owner === undefined) owners.set(lower, path.join('.'));
    else
      issues.push({
        path: [...at, ...path],
        message: `header ${name} is already set by ${owner}; each header may come from one place`,
      });
  };
  if (server.identity?.accessToken) owners.set('authorization', 'identity.accessToken');
  if (server.identity?.tokenExchange) claim('Authorization', ['identity', 'tokenExchange'], true);
  for (const name of Object.keys(server.headers ?? {})) claim(name, ['headers', name]);
  server.credentials?.forEach((c, i) => claim(c.header, ['credentials', i, 'header'], true));
  const identity = server.identity;
  if (identity?.claimsHeader) claim(identity.claimsHeader.name, ['identity', 'claimsHeader', 'name']);
  for (const [claimName, header] of Object.entries(identity?.claimHeaders ?? {})) {
    if (header) claim(header, ['identity', 'claimHeaders', claimName]);
  }
  if (identity?.sharedSecret) claim(identity.sharedSecret.header, ['identity', 'sharedSecret', 'header']);
  return issues;
}

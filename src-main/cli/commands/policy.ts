// `gatehouse policy validate|schema|keygen`: tools for IT writing and signing policy documents.
import fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import type { Node as JsonNode } from 'jsonc-parser';
import { policyJsonSchemaText, validatePolicyText } from '../../core/policy/index.ts';
import type { PathSegment, PolicyDocument, PolicyIssue } from '../../core/policy/index.ts';
import { CliError } from '../cli-error.ts';

const USAGE = `Usage:
  gatehouse policy validate FILE [--json]   check a policy document; every error with its JSON path
  gatehouse policy schema                    print the policy JSON Schema
  gatehouse policy keygen --out FILE         make a policy signing key (private JWK, mode 0600) and
                                             print its public JWK for the managed config's signingKeys
`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE);
    return sub ? 0 : 2;
  }
  if (sub === 'validate') return validate(rest);
  if (sub === 'keygen') return keygen(rest);
  if (sub === 'schema') {
    process.stdout.write(policyJsonSchemaText());
    return 0;
  }
  throw new CliError(`unknown policy command '${sub}'.\n\n${USAGE}`, 2);
}

async function keygen(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' } } });
  if (!values.out) throw new CliError(`policy keygen needs --out FILE.\n\n${USAGE}`, 2);
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  try {
    // wx: never overwrite an existing key; laptops trust its public half.
    await fs.writeFile(
      values.out,
      `${JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES256' }, null, 2)}\n`,
      {
        mode: 0o600,
        flag: 'wx',
      },
    );
  } catch (error) {
    throw new CliError(`cannot write ${values.out}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  process.stdout.write(`${JSON.stringify({ ...publicJwk, kid, alg: 'ES256', use: 'sig' })}\n`);
  process.stderr.write(`Private key written to ${values.out}; keep it on the org server only (--sign-key).\n`);
  return 0;
}

async function validate(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new CliError(`policy validate takes exactly one FILE.\n\n${USAGE}`, 2);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const result = validatePolicyText(text);
  const tree = parseTree(text);
  const located = (issues: PolicyIssue[]) =>
    issues
      .map((i) => ({ ...i, ...locate(text, tree, i.segments) }))
      .sort((a, b) => a.line - b.line || a.column - b.column);

  if (!result.ok) {
    const errors = located(result.errors);
    if (values.json) process.stdout.write(`${JSON.stringify({ valid: false, errors }, null, 2)}\n`);
    else {
      for (const e of errors) process.stdout.write(`${file}:${e.line}:${e.column}: ${e.path}: ${e.message}\n`);
      process.stdout.write(
        `\n${errors.length} error${errors.length === 1 ? '' : 's'}: ${file} is not a valid policy.\n`,
      );
    }
    return 1;
  }
  const warnings = located(result.warnings);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ valid: true, summary: summarize(result.policy), warnings }, null, 2)}\n`);
  } else {
    for (const w of warnings) process.stdout.write(`${file}:${w.line}:${w.column}: warning: ${w.path}: ${w.message}\n`);
    process.stdout.write(`${file}: valid\n${describeSummary(summarize(result.policy))}`);
  }
  return 0;
}

type Summary = {
  policyVersion: string;
  issuedAt: string;
  staleAfterSeconds: number | null;
  contact: string | null;
  servers: { stdio: number; remote: number; ids: string[] };
  rules: { allow: number; deny: number };
};

function summarize(policy: PolicyDocument): Summary {
  const ids = Object.keys(policy.servers);
  const remote = ids.filter((id) => 'url' in policy.servers[id]!).length;
  const deny = policy.rules.filter((r) => r.effect === 'deny').length;
  return {
    policyVersion: policy.policyVersion,
    issuedAt: policy.issuedAt,
    staleAfterSeconds: policy.staleAfterSeconds ?? null,
    contact: policy.contact ?? null,
    servers: { stdio: ids.length - remote, remote, ids },
    rules: { allow: policy.rules.length - deny, deny },
  };
}

function describeSummary(s: Summary): string {
  const bound = s.staleAfterSeconds === null ? 'none (never fails closed)' : `${s.staleAfterSeconds} s`;
  return [
    `  policy version  ${s.policyVersion} (issued ${s.issuedAt})`,
    `  servers         ${s.servers.ids.length} (${s.servers.stdio} stdio, ${s.servers.remote} remote)${s.servers.ids.length ? `: ${s.servers.ids.join(', ')}` : ''}`,
    `  rules           ${s.rules.allow + s.rules.deny} (${s.rules.allow} allow, ${s.rules.deny} deny)`,
    `  staleness bound ${bound}`,
    `  contact         ${s.contact ?? 'none (denials say "ask your IT team")'}`,
    '',
  ].join('\n');
}

/** Line and column (1-based) of the deepest part of `segments` that exists in the file. */
function locate(text: string, tree: JsonNode | undefined, segments: PathSegment[]): { line: number; column: number } {
  let offset = 0;
  if (tree) {
    for (let depth = segments.length; depth >= 0; depth--) {
      const node = findNodeAtLocation(tree, segments.slice(0, depth));
      if (node) {
        // For an object member, point at its key: that is where an unknown or misplaced field is.
        offset = node.parent?.type === 'property' ? node.parent.offset : node.offset;
        break;
      }
    }
    if (segments.length > 0 && !findNodeAtLocation(tree, segments)) {
      const key = findPropertyKey(tree, segments);
      if (key) offset = key.offset;
    }
  }
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/** Unknown fields are reported at their own path; find their key node even though their value was not traversed. */
function findPropertyKey(tree: JsonNode, segments: PathSegment[]): JsonNode | undefined {
  const parent = findNodeAtLocation(tree, segments.slice(0, -1));
  const last = segments[segments.length - 1];
  return parent?.children?.find((p) => p.type === 'property' && p.children?.[0]?.value === last)?.children?.[0];
}

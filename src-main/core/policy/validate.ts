import type { z } from 'zod';
import { policyJsonSchema } from './json-schema.ts';
import { matchesAnyGlob } from './glob.ts';
import { crossFieldIssues } from './consistency.ts';
import { policyDocumentSchema, ruleSchema, serverSchema } from './schema.ts';
import type { PolicyDocument, PolicyServer } from './schema.ts';

export type PathSegment = string | number;

export type PolicyIssue = {
  /** JSONPath-style location, e.g. `$.servers.github.identity.claimsHeader.name`. */
  path: string;
  segments: PathSegment[];
  message: string;
};

export type PolicyValidation =
  { ok: true; policy: PolicyDocument; warnings: PolicyIssue[] } | { ok: false; errors: PolicyIssue[] };

/** Checks a parsed document and reports every problem, each with the path where it is. */
export function validatePolicy(value: unknown): PolicyValidation {
  const result = policyDocumentSchema.safeParse(value, { error: requiredMessage });
  if (!result.success) {
    const errors = result.error.issues.flatMap((i) => toPolicyIssues(i, []));
    const seen = new Set(errors.map((e) => `${e.path} ${e.message}`));
    const extra = salvagedCrossFieldIssues(value).filter((e) => !seen.has(`${e.path} ${e.message}`));
    return { ok: false, errors: [...errors, ...extra] };
  }
  return { ok: true, policy: result.data, warnings: findWarnings(result.data) };
}

/** Like validatePolicy, from text: a JSON syntax error is reported as one issue at `$`. */
export function validatePolicyText(text: string): PolicyValidation {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, errors: [issue([], `is not valid JSON: ${message}`)] };
  }
  return validatePolicy(value);
}

export function formatJsonPath(segments: readonly PathSegment[]): string {
  return segments.reduce<string>((path, segment) => {
    if (typeof segment === 'number') return `${path}[${segment}]`;
    return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment) ? `${path}.${segment}` : `${path}[${JSON.stringify(segment)}]`;
  }, '$');
}

/** Cross-field checks over the servers and rules that are valid on their own (see crossFieldIssues). */
function salvagedCrossFieldIssues(value: unknown): PolicyIssue[] {
  if (!isRecord(value)) return [];
  const servers: Record<string, PolicyServer> = {};
  if (isRecord(value.servers)) {
    for (const [id, raw] of Object.entries(value.servers)) {
      const parsed = serverSchema.safeParse(raw);
      if (parsed.success) servers[id] = parsed.data;
    }
  }
  const rules = Array.isArray(value.rules) ? value.rules.map((raw) => ruleSchema.safeParse(raw).data) : [];
  return crossFieldIssues({ servers, rules }).map((i) => issue(i.path, i.message));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const requiredMessage: z.core.$ZodErrorMap = (raw) => {
  if (raw.code === 'invalid_type' && raw.input === undefined) return `is required (${raw.expected})`;
  if (raw.code === 'too_small' && raw.origin === 'string' && raw.minimum === 1) return 'must not be empty';
  return undefined;
};

function issue(segments: PathSegment[], message: string): PolicyIssue {
  return { path: formatJsonPath(segments), segments, message };
}

function toPolicyIssues(raw: z.core.$ZodIssue, prefix: PathSegment[]): PolicyIssue[] {
  const at = [...prefix, ...(raw.path as PathSegment[])];
  switch (raw.code) {
    case 'invalid_union':
      return unionIssues(raw, at);
    case 'unrecognized_keys':
      return raw.keys.map((key) => issue([...at, key], unknownFieldMessage(key)));
    case 'invalid_key':
      return [issue(at, `invalid key: ${raw.issues.map((i) => i.message).join('; ')}`)];
    default:
      return [issue(at, raw.message)];
  }
}

/**
 * A server is a stdio or a remote one; zod reports why each shape failed. The shape with the fewest
 * problems is the one the author meant; when both fail alike, say what the two shapes are.
 */
function unionIssues(raw: z.core.$ZodIssueInvalidUnion, at: PathSegment[]): PolicyIssue[] {
  const branches = raw.errors.map((errors) => errors.flatMap((e) => toPolicyIssues(e, at)));
  if (branches.length === 0) return [issue(at, raw.message)];
  const sorted = [...branches].sort((a, b) => a.length - b.length);
  if (sorted.length > 1 && sorted[0]!.length === sorted[1]!.length) return [issue(at, raw.message)];
  return sorted[0]!;
}

let knownFields: string[] | undefined;

function unknownFieldMessage(key: string): string {
  knownFields ??= collectPropertyNames(policyJsonSchema());
  const suggestion = knownFields
    .map((field) => ({ field, distance: editDistance(key.toLowerCase(), field.toLowerCase()) }))
    .filter((c) => c.distance <= 2)
    .sort((a, b) => a.distance - b.distance)[0];
  return suggestion ? `unknown field "${key}" (did you mean "${suggestion.field}"?)` : `unknown field "${key}"`;
}

function collectPropertyNames(node: unknown, into = new Set<string>()): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectPropertyNames(n, into));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties' && value && typeof value === 'object') Object.keys(value).forEach((k) => into.add(k));
      collectPropertyNames(value, into);
    }
  }
  return [...into];
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Legal but probably not meant: reported by `policy validate` without failing it. */
function findWarnings(policy: PolicyDocument): PolicyIssue[] {
  const warnings: PolicyIssue[] = [];
  const serverIds = Object.keys(policy.servers);
  policy.rules.forEach((rule, index) => {
    rule.servers.forEach((pattern, p) => {
      if (
        !policy.allowPersonalServers &&
        !matchesAnyGlob([pattern], '') &&
        !serverIds.some((id) => matchesAnyGlob([pattern], id))
      ) {
        warnings.push(issue(['rules', index, 'servers', p], `matches no server in "servers"`));
      }
    });
  });
  for (const [id] of Object.entries(policy.servers)) {
    const reachable = policy.rules.some((rule) => rule.effect === 'allow' && matchesAnyGlob(rule.servers, id));
    if (!reachable) warnings.push(issue(['servers', id], 'no allow rule covers this server, so nobody can use it'));
  }
  return warnings;
}

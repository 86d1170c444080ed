import { subjectFromClaims, subjectMatches } from './claims.ts';
import type { Subject, UserClaims } from './claims.ts';
import { matchesAnyGlob } from './glob.ts';
import type { AuditLevel, PolicyDocument, PolicyRule, PolicyServer, ServerMode } from './schema.ts';

export type ItemKind = 'tool' | 'resource' | 'prompt';
export type DecisionKind = 'server' | ItemKind;

/** The user's own on/off choices per server id; only honoured where the policy lets them choose. */
export type ServerToggles = Readonly<Record<string, boolean>>;

export type DecisionInput = {
  policy: PolicyDocument;
  claims: UserClaims;
  toggles?: ServerToggles;
  /** Server id: a key of policy.servers, or the id of a personal server when `personal` is true. */
  server: string;
  kind: DecisionKind;
  /** Tool or prompt name, or resource URI; ignored for kind 'server'. */
  name?: string;
  /** The server is one the user added, not one the policy lists. */
  personal?: boolean;
};

export type Decision = {
  allow: boolean;
  /** The rule that decided; absent for default deny and for decisions made before any rule (toggles, unknown server). */
  rule?: { index: number; id?: string; effect: 'allow' | 'deny' };
  /** One sentence for the user: what was decided, by which rule, and whom to ask. */
  reason: string;
  contact?: string;
};

/**
 * The one place access is decided: pure, synchronous, no I/O. Deny wins over allow, no matching
 * allow means deny, and a user toggle can only turn off what the policy allows, never turn on what
 * it denies.
 */
export function decide(input: DecisionInput): Decision {
  return decideFor(subjectFromClaims(input.claims, input.policy.claimNames), input);
}

function decideFor(subject: Subject, input: DecisionInput, honourToggles = true): Decision {
  const { policy, server, kind } = input;
  const name = kind === 'server' ? undefined : (input.name ?? '');
  const target = describeTarget(kind, server, name);
  const orgServer = input.personal ? undefined : policy.servers[server];

  if (!orgServer && !input.personal) {
    return deny(
      policy,
      undefined,
      `${capitalize(target)} is not in your organisation's policy, so Gatehouse will not use it.`,
    );
  }
  if (input.personal && !policy.allowPersonalServers) {
    return deny(
      policy,
      undefined,
      `Your organisation's policy does not allow servers you add yourself, so ${target} is blocked.`,
    );
  }

  const denying = findRule(policy.rules, 'deny', subject, server, kind, name);
  if (denying)
    return deny(policy, denying, `The org policy denies ${target} (${ruleLabel(denying)})${ruleNote(denying.rule)}.`);

  if (honourToggles && isToggledOff(input, orgServer)) {
    return {
      allow: false,
      reason: `Server "${server}" is turned off in Gatehouse; turn it on in the Gatehouse window to use ${kind === 'server' ? 'it' : target}.`,
    };
  }
  if (input.personal)
    return { allow: true, reason: `Allowed: ${target} is your own server and the org policy allows those.` };

  const allowing = findRule(policy.rules, 'allow', subject, server, kind, name);
  if (allowing)
    return { allow: true, rule: ruleRef(allowing), reason: `Allowed by the org policy (${ruleLabel(allowing)}).` };
  return deny(policy, undefined, `No org policy rule allows ${target} for you, so it is denied by default.`);
}

export type ServerAccess = {
  id: string;
  server: PolicyServer;
  mode: ServerMode;
  auditLevel: AuditLevel;
  /** The policy lets this user use the server at all. */
  allowed: boolean;
  /** Allowed and switched on (by default or by the user). */
  enabled: boolean;
  /** The user may switch it on or off. */
  toggleable: boolean;
  decision: Decision;
};

/** Every server of the policy as this user sees it, in document order. */
export function listServerAccess(input: {
  policy: PolicyDocument;
  claims: UserClaims;
  toggles?: ServerToggles;
}): ServerAccess[] {
  const subject = subjectFromClaims(input.claims, input.policy.claimNames);
  return Object.entries(input.policy.servers).map(([id, server]) => {
    const mode = serverMode(server);
    const allowed = decideFor(subject, { ...input, server: id, kind: 'server' }, false).allow;
    const decision = decideFor(subject, { ...input, server: id, kind: 'server' });
    return {
      id,
      server,
      mode,
      auditLevel: auditLevelFor(input.policy, id),
      allowed,
      enabled: decision.allow,
      toggleable: allowed && mode !== 'locked-on',
      decision,
    };
  });
}

type Named = { name?: string; uri?: string; uriTemplate?: string };

/**
 * Drops the tools, resources or prompts the user may not use, so they never appear in a list.
 * Resources are matched by URI (or URI template), tools and prompts by name.
 */
export function filterList<T extends Named>(
  context: Omit<DecisionInput, 'kind' | 'name'>,
  kind: ItemKind,
  items: readonly T[],
): T[] {
  const subject = subjectFromClaims(context.claims, context.policy.claimNames);
  return items.filter((item) => decideFor(subject, { ...context, kind, name: itemName(kind, item) }).allow);
}

function serverMode(server: PolicyServer): ServerMode {
  return server.mode ?? 'default-on';
}

function auditLevelFor(policy: PolicyDocument, serverId: string): AuditLevel {
  return policy.servers[serverId]?.auditLevel ?? policy.auditLevel ?? 'metadata';
}

function itemName(kind: ItemKind, item: Named): string {
  if (kind === 'resource') return item.uri ?? item.uriTemplate ?? item.name ?? '';
  return item.name ?? '';
}

function isToggledOff(input: DecisionInput, server: PolicyServer | undefined): boolean {
  const choice = input.toggles?.[input.server];
  if (!server) return choice === false;
  const mode = serverMode(server);
  if (mode === 'locked-on') return false;
  if (mode === 'default-off') return choice !== true;
  return choice === false;
}

type Found = { rule: PolicyRule; index: number };

function findRule(
  rules: readonly PolicyRule[],
  effect: 'allow' | 'deny',
  subject: Subject,
  server: string,
  kind: DecisionKind,
  name: string | undefined,
): Found | undefined {
  for (let index = 0; index < rules.length; index++) {
    const rule = rules[index]!;
    if (rule.effect === effect && subjectMatches(rule.when, subject) && covers(rule, server, kind, name))
      return { rule, index };
  }
  return undefined;
}

/**
 * A rule without tools/resources/prompts covers whole servers. One with any of them covers only
 * those items; for the server itself such an allow still counts (the user needs the server to reach
 * the items), but such a deny does not (denying one tool must not take the whole server away).
 */
function covers(rule: PolicyRule, server: string, kind: DecisionKind, name: string | undefined): boolean {
  if (!matchesAnyGlob(rule.servers, server)) return false;
  const wholeServer = !rule.tools && !rule.resources && !rule.prompts;
  if (wholeServer) return true;
  if (kind === 'server') return rule.effect === 'allow';
  const patterns = kind === 'tool' ? rule.tools : kind === 'resource' ? rule.resources : rule.prompts;
  return patterns !== undefined && matchesAnyGlob(patterns, name ?? '');
}

function deny(policy: PolicyDocument, found: Found | undefined, sentence: string): Decision {
  const contact = found?.rule.contact ?? policy.contact;
  const ask = contact ? ` Ask ${contact} if you need access.` : ' Ask your IT team if you need access.';
  const decision: Decision = { allow: false, reason: sentence + ask };
  if (found) decision.rule = ruleRef(found);
  if (contact) decision.contact = contact;
  return decision;
}

function ruleRef({ rule, index }: Found): NonNullable<Decision['rule']> {
  return rule.id === undefined ? { index, effect: rule.effect } : { index, id: rule.id, effect: rule.effect };
}

function ruleLabel({ rule, index }: Found): string {
  return rule.id === undefined ? `rule rules[${index}]` : `rule "${rule.id}", rules[${index}]`;
}

function ruleNote(rule: PolicyRule): string {
  const note = rule.description?.trim().replace(/[.!]+$/, '');
  return note ? `: ${note}` : '';
}

function describeTarget(kind: DecisionKind, server: string, name: string | undefined): string {
  if (kind === 'server') return `server "${server}"`;
  return `${kind} "${name}" on server "${server}"`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

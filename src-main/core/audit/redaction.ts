import { AuditError } from './errors.ts';
import type { RedactionLevel } from './record.ts';

/**
 * How much of a request's params and result the log keeps, set by policy per server and per tool:
 * - none: metadata only (who, when, which tool, outcome, sizes);
 * - shape: keys and value types, no values;
 * - redacted: values, with anything that looks like a secret and the org's own patterns masked;
 * - full: values as they are.
 * Secrets the gateway knows (registered at run time) are masked at every level, everywhere.
 */
export type RedactionConfig = {
  /** Level for every server and tool not named below; `redacted` when absent. */
  level?: RedactionLevel;
  /** Per server, and per tool of a server: a tool name or a glob (`delete_*`); the most specific wins. */
  servers?: Record<string, { level?: RedactionLevel; tools?: Record<string, RedactionLevel> }>;
  /** Extra regular expressions (JavaScript syntax) whose matches are masked at level `redacted`. */
  patterns?: string[];
  /** Longest text kept for one content item of a result (characters); 4096 when absent. */
  maxTextChars?: number;
  /** Longest single string kept anywhere in params or structured content; 65536 when absent. */
  maxStringChars?: number;
};

const DEFAULT_REDACTION_LEVEL: RedactionLevel = 'redacted';
const DEFAULT_MAX_TEXT_CHARS = 4096;
const DEFAULT_MAX_STRING_CHARS = 65_536;
const MAX_DEPTH = 64;
const MAX_SHAPE_VARIANTS = 5;
/** Shorter values are too likely to occur by chance ("true", a port number) to be masked everywhere. */
export const MIN_SECRET_LENGTH = 8;
const MAX_KNOWN_SECRETS = 1024;

export function redactionLevelFor(config: RedactionConfig, server: string, name: string | undefined): RedactionLevel {
  const forServer = config.servers?.[server];
  const forTool = name === undefined || !forServer?.tools ? undefined : toolLevel(forServer.tools, name);
  return forTool ?? forServer?.level ?? config.level ?? DEFAULT_REDACTION_LEVEL;
}

/**
 * A tool's own entry, else the most specific glob (`*` any run, `?` one character) that matches:
 * the one with the most literal characters, so `delete_*` beats `*`.
 */
function toolLevel(tools: Record<string, RedactionLevel>, name: string): RedactionLevel | undefined {
  const exact = tools[name];
  if (exact) return exact;
  let best: { literal: number; level: RedactionLevel } | undefined;
  for (const [pattern, level] of Object.entries(tools)) {
    if (!/[*?]/.test(pattern) || !globRegExp(pattern).test(name)) continue;
    const literal = pattern.replace(/[*?]/g, '').length;
    if (!best || literal > best.literal) best = { literal, level };
  }
  return best?.level;
}

const globs = new Map<string, RegExp>();
function globRegExp(pattern: string): RegExp {
  let regex = globs.get(pattern);
  if (!regex) {
    const source = Array.from(pattern, (char) =>
      char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    ).join('');
    regex = new RegExp(`^${source}$`, 'su');
    if (globs.size >= 1000) globs.clear();
    globs.set(pattern, regex);
  }
  return regex;
}

const mask = (kind: string): string => `[REDACTED:${kind}]`;

type ValuePattern = { pattern: RegExp; replace: string };

/** Values that are secrets wherever they appear, whatever the key says. */
const SECRET_VALUE_PATTERNS: readonly ValuePattern[] = [
  {
    pattern: /-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|$)/g,
    replace: mask('private-key'),
  },
  // JWS/JWE compact form: base64url JSON header ("eyJ") and at least two more dot-separated parts.
  {
    pattern: /\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}/g,
    replace: mask('jwt'),
  },
  { pattern: /\b(Bearer|Basic|Token|Bot)\s+[A-Za-z0-9._~+/-]{8,}=*/gi, replace: `$1 ${mask('token')}` },
  {
    pattern:
      /\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36}|gh_[A-Za-z0-9_-]{40,})/g,
    replace: mask('api-key'),
  },
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:)[^\s@/]+@/gi, replace: `$1${mask('password')}@` },
  {
    pattern:
      /([?&](?:access_token|id_token|refresh_token|token|api_key|apikey|key|secret|password|client_secret|code|sig|signature)=)[^&\s#"']+/gi,
    replace: `$1${mask('param')}`,
  },
  {
    pattern:
      /\b((?:password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|client[_-]?secret)\s*[=:]\s*)(["']?)[^\s"',;&]+/gi,
    replace: `$1$2${mask('secret')}`,
  },
];

/** Keys whose values are secrets whatever they look like (matched on the end of the key). */
const SECRET_KEY =
  /(?:password|passwd|passphrase|pwd|secret|token|api[-_]?key|auth|authorization|credentials?|private[-_]?key|access[-_]?key|cookie|signature)$/i;

/** Values the gateway itself holds (local tokens, injected credentials, access tokens). */
export class KnownSecrets {
  private readonly values = new Set<string>();

  /** Returns false for values too short to mask safely (see MIN_SECRET_LENGTH). */
  add(value: string): boolean {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return false;
    this.values.delete(value);
    this.values.add(value);
    // Tokens rotate: keep the newest ones, so a long-running gateway does not grow without bound.
    if (this.values.size > MAX_KNOWN_SECRETS) this.values.delete(this.values.values().next().value as string);
    return true;
  }

  get size(): number {
    return this.values.size;
  }

  maskString(text: string): string {
    if (text.length < MIN_SECRET_LENGTH) return text;
    let out = text;
    for (const secret of this.values) {
      if (out.includes(secret)) out = out.split(secret).join(mask('secret'));
    }
    return out;
  }

  /** A copy of a JSON value with every known secret masked in strings and keys. */
  maskDeep<T>(value: T): T {
    if (this.values.size === 0) return value;
    return this.walk(value, 0) as T;
  }

  /** Copy-on-write: returns `value` itself when nothing in it changed, so the common case allocates nothing. */
  private walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.maskString(value);
    if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const masked = this.walk(item, depth + 1);
        if (masked !== item) copy ??= value.slice();
        if (copy) copy[i] = masked;
      }
      return copy ?? value;
    }
    const object = value as Record<string, unknown>;
    let copy: Record<string, unknown> | undefined;
    for (const key in object) {
      const member = object[key];
      const maskedKey = this.maskString(key);
      const masked = this.walk(member, depth + 1);
      if (!copy && (maskedKey !== key || masked !== member)) {
        copy = {};
        for (const earlier in object) {
          if (earlier === key) break;
          copy[earlier] = object[earlier];
        }
      }
      if (copy) copy[maskedKey] = masked;
    }
    return copy ?? value;
  }
}

/** Compiled form of a RedactionConfig's patterns and limits. */
export type RedactionRules = {
  patterns: readonly ValuePattern[];
  maxTextChars: number;
  maxStringChars: number;
};

export function compileRedactionRules(config: RedactionConfig): RedactionRules {
  const patterns = (config.patterns ?? []).map((source) => {
    try {
      return { pattern: new RegExp(source, 'g'), replace: mask('pattern') };
    } catch (cause) {
      throw new AuditError(
        'AUDIT_BAD_INPUT',
        `The audit redaction pattern ${JSON.stringify(source)} is not a valid regular expression (${(cause as Error).message}). Fix it in the policy.`,
        { cause },
      );
    }
  });
  return {
    patterns,
    maxTextChars: config.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS,
    maxStringChars: config.maxStringChars ?? DEFAULT_MAX_STRING_CHARS,
  };
}

const DEFAULT_RULES = compileRedactionRules({});

function rulesFor(config: RedactionConfig): RedactionRules {
  const isDefault =
    !config.patterns?.length && config.maxTextChars === undefined && config.maxStringChars === undefined;
  return isDefault ? DEFAULT_RULES : compileRedactionRules(config);
}

/**
 * Cheap pre-check: a string none of whose substrings could start a SECRET_VALUE_PATTERNS match
 * skips all of them (most strings in a call are ordinary words).
 */
const MAYBE_SECRET =
  /eyJ|bearer|basic|token|bot\s|sk-|_live_|_test_|gh[pousr_]|github_pat_|glpat-|xox|AKIA|AIza|npm_|:\/\/|[?&]|pass|pwd|secret|api[_-]?key|PRIVATE KEY/i;

/** Masks secret-looking values (and, with `config.patterns`, the org's patterns) inside one string. */
export function maskSecretsInText(text: string, config: RedactionConfig = {}): string {
  return maskText(text, rulesFor(config));
}

/** maskSecretsInText with the rules compiled once (the log's hot path). */
export function maskText(text: string, rules: RedactionRules): string {
  let out = text;
  if (MAYBE_SECRET.test(text))
    for (const { pattern, replace } of SECRET_VALUE_PATTERNS) out = out.replace(pattern, replace);
  for (const { pattern, replace } of rules.patterns) out = out.replace(pattern, replace);
  return out;
}

export function truncate(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  return { text: `${text.slice(0, max)}…[${text.length - max} more characters]`, truncated: true };
}

/**
 * Characters past the cut that are still masked, so that a secret crossing the cut is recognised
 * and masked as a whole (tokens, API keys, JWTs up to this length; a private key block is masked
 * to the end of what is kept whatever its length).
 */
const MASK_MARGIN_CHARS = 4096;

/**
 * How far into a match of SECRET_VALUE_PATTERNS the MAYBE_SECRET keyword it needs can lie: at its
 * start for most, after a URL's scheme or a private key header's key type for two. A text with no
 * keyword up to the cut plus this has no match starting before the cut.
 */
const KEYWORD_REACH_CHARS = 256;

/**
 * maskText then truncate, masking only what can be kept (plus a margin): a 100 KB tool result
 * is cut to a few KB anyway, and the secret patterns over all of it cost a millisecond per call.
 */
export function maskAndTruncate(
  text: string,
  rules: RedactionRules,
  max: number,
): { text: string; truncated: boolean } {
  if (text.length <= max + MASK_MARGIN_CHARS) return truncate(maskText(text, rules), max);
  // No keyword a secret pattern starts with in the kept part (nor just past it): no match starts
  // before the cut, so nothing kept changes. Checking the margin too cost ~50 µs a large result.
  if (rules.patterns.length === 0 && !MAYBE_SECRET.test(text.slice(0, max + KEYWORD_REACH_CHARS))) {
    return truncate(text, max);
  }
  const masked = maskText(text.slice(0, max + MASK_MARGIN_CHARS), rules);
  // Masks shortened the part below the cut: what is kept reaches further into the text.
  if (masked.length <= max) return truncate(maskText(text, rules), max);
  const more = masked.length - max + (text.length - max - MASK_MARGIN_CHARS);
  return { text: `${masked.slice(0, max)}…[${more} more characters]`, truncated: true };
}

/**
 * A JSON copy of `value` at `level`: undefined at none, keys and types at shape, masked values at
 * redacted, everything at full. Always a fresh plain-JSON copy (dates as strings, functions and
 * undefined dropped), so later changes by the caller cannot alter what was hashed.
 */
export function redact(value: unknown, level: RedactionLevel, config: RedactionConfig = {}): unknown {
  return redactValue(value, level, rulesFor(config));
}

/** redact with the rules compiled once (the log's hot path). */
export function redactValue(value: unknown, level: RedactionLevel, rules: RedactionRules): unknown {
  switch (level) {
    case 'none':
      return undefined;
    case 'shape':
      return shapeOf(value, 0);
    case 'redacted':
      return copyJson(value, 0, rules, true);
    case 'full':
      return copyJson(value, 0, rules, false);
  }
}

function copyJson(value: unknown, depth: number, rules: RedactionRules, masking: boolean): unknown {
  if (typeof value === 'string') {
    return masking
      ? maskAndTruncate(value, rules, rules.maxStringChars).text
      : truncate(value, rules.maxStringChars).text;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean' || value === null) return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) {
    return value.map((item) => {
      const copied = copyJson(item, depth + 1, rules, masking);
      return copied === undefined ? null : copied;
    });
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return copyJson((value as { toJSON(): unknown }).toJSON(), depth + 1, rules, masking);
  }
  // Keys in sorted order: the record then is canonical JSON as built, and hashing needs no copy.
  const out: Record<string, unknown> = {};
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object).sort()) {
    const member = object[key];
    if (masking && SECRET_KEY.test(key) && isMaskable(member)) {
      out[key] = mask('key');
      continue;
    }
    const copied = copyJson(member, depth + 1, rules, masking);
    if (copied !== undefined) out[key] = copied;
  }
  return out;
}

/** Flags and empty values under a secret-sounding key ("auth": false) say nothing secret. */
function isMaskable(value: unknown): boolean {
  if (value === null || value === undefined || typeof value === 'boolean') return false;
  if (typeof value === 'string') return value.length > 0;
  return true;
}

function shapeOf(value: unknown, depth: number): unknown {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number';
    case 'boolean':
      return 'boolean';
    case 'bigint':
      return 'integer';
    case 'object':
      break;
    default:
      return undefined;
  }
  if (depth >= MAX_DEPTH) return 'object';
  if (Array.isArray(value)) {
    // The distinct element shapes, not one per element: shape says what a call looks like, not how long it was.
    const variants: unknown[] = [];
    const seen = new Set<string>();
    for (const item of value) {
      const shape = shapeOf(item, depth + 1);
      const key = JSON.stringify(shape);
      if (seen.has(key)) continue;
      seen.add(key);
      variants.push(shape);
      if (variants.length >= MAX_SHAPE_VARIANTS) break;
    }
    return variants;
  }
  const out: Record<string, unknown> = {};
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object).sort()) {
    const shape = shapeOf(object[key], depth + 1);
    if (shape !== undefined) out[key] = shape;
  }
  return out;
}

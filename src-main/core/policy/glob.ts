/**
 * Glob patterns as policy authors write them: `*` matches any run of characters (including none and
 * including `/`, so `file:///srv/*` covers a whole tree), `?` exactly one; everything else is literal.
 * Compiled patterns are cached because decide() runs once per listed tool on every list request.
 */
const MAX_CACHED = 2000;
const cache = new Map<string, RegExp>();

export function matchesGlob(pattern: string, value: string, ignoreCase = false): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  return compile(pattern, ignoreCase).test(value);
}

export function matchesAnyGlob(patterns: readonly string[], value: string, ignoreCase = false): boolean {
  return patterns.some((pattern) => matchesGlob(pattern, value, ignoreCase));
}

function compile(pattern: string, ignoreCase: boolean): RegExp {
  const key = `${ignoreCase ? 'i' : 's'}:${pattern}`;
  let regex = cache.get(key);
  if (!regex) {
    const source = Array.from(pattern, (char) => {
      if (char === '*') return '.*';
      if (char === '?') return '.';
      return char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }).join('');
    regex = new RegExp(`^${source}$`, ignoreCase ? 'isu' : 'su');
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, regex);
  }
  return regex;
}

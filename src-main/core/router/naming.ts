/**
 * Names on the aggregated endpoint: `<server>__<name>`. Server names cannot contain `__` (the
 * config refuses them), so splitting at the first `__` is unambiguous and the names are stable.
 */
const SEPARATOR = '__';

export function qualify(server: string, name: string): string {
  return `${server}${SEPARATOR}${name}`;
}

export function split(qualified: string): { server: string; name: string } | undefined {
  const at = qualified.indexOf(SEPARATOR);
  if (at <= 0 || at + SEPARATOR.length >= qualified.length) return undefined;
  return { server: qualified.slice(0, at), name: qualified.slice(at + SEPARATOR.length) };
}

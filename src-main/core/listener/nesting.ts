/**
 * Whether JSON `text` nests arrays or objects more than `max` levels deep. JSON.parse copes with
 * any depth, but JSON.stringify and every recursive walk after it overflow the stack (~10 000
 * levels), so such a message must be refused where it comes in. Scans the text without
 * recursion; brackets inside strings do not count.
 */
export function nestedDeeperThan(text: string, max: number): boolean {
  // Fewer characters than 2 × max cannot hold that many levels: the common case costs nothing.
  if (text.length <= 2 * max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

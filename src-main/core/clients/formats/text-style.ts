/**
 * How an existing file writes itself (line ending, byte order mark, indentation), so that the text
 * we add looks like the text around it and the bytes we do not own stay as they are.
 */
const BOM = '\uFEFF';

export function detectEol(text: string): '\n' | '\r\n' {
  const crlf = text.split('\r\n').length - 1;
  const lf = text.split('\n').length - 1 - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

/** Splits off a UTF-8 byte order mark; parsers choke on it and it must come back on write. */
export function splitBom(text: string): { bom: string; body: string } {
  return text.startsWith(BOM) ? { bom: BOM, body: text.slice(1) } : { bom: '', body: text };
}

export function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The offset just past the line break of the line containing `offset` (or the end of the text). */
export function nextLineStart(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === '\n') return offset;
  const newline = text.indexOf('\n', offset);
  return newline === -1 ? text.length : newline + 1;
}

/** The whitespace before the first character of the line containing `offset`. */
export function indentOfLine(text: string, offset: number): string {
  const start = lineStartOf(text, offset);
  return /^[ \t]*/.exec(text.slice(start))![0];
}

export function onlyWhitespaceBefore(text: string, offset: number): boolean {
  return /^[ \t]*$/.test(text.slice(lineStartOf(text, offset), offset));
}

export function withEol(text: string, eol: string): string {
  return eol === '\n' ? text : text.replace(/\r?\n/g, eol);
}

/** Prefixes every line but the first with `indent` (the first line continues an existing one). */
export function indentFollowingLines(text: string, indent: string): string {
  return text.replace(/\n(?!$)/g, `\n${indent}`);
}

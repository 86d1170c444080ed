import { useMemo } from 'react';

const MAX_CHARS = 200_000;
const TOKEN = /("(?:[^"\\]|\\.)*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

/**
 * Formatted JSON with colored tokens, built as React text nodes (never HTML), so whatever a tool
 * returned is shown, not interpreted. Very large values are cut with a note.
 */
export function JsonView(props: { value: unknown; label: string }) {
  const { parts, truncated } = useMemo(() => tokenize(props.value), [props.value]);
  return (
    <pre className="json" aria-label={props.label} tabIndex={0}>
      {parts}
      {truncated && (
        <span className="json-truncated">{`\n… cut at ${MAX_CHARS.toLocaleString()} characters; use Copy as JSON for all of it`}</span>
      )}
    </pre>
  );
}

function toJsonText(value: unknown): string {
  if (value === undefined) return '(none)';
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

function tokenize(value: unknown): { parts: (string | React.JSX.Element)[]; truncated: boolean } {
  const full = toJsonText(value);
  const text = full.length > MAX_CHARS ? full.slice(0, MAX_CHARS) : full;
  const parts: (string | React.JSX.Element)[] = [];
  let last = 0;
  let key = 0;
  for (const match of text.matchAll(TOKEN)) {
    const index = match.index;
    if (index > last) parts.push(text.slice(last, index));
    const [whole, string, colon, literal, number] = match;
    if (string !== undefined) {
      parts.push(
        <span key={key++} className={colon ? 'json-key' : 'json-string'}>
          {string}
        </span>,
      );
      if (colon) parts.push(colon);
    } else if (literal !== undefined) {
      parts.push(
        <span key={key++} className="json-literal">
          {literal}
        </span>,
      );
    } else if (number !== undefined) {
      parts.push(
        <span key={key++} className="json-number">
          {number}
        </span>,
      );
    }
    last = index + whole.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return { parts, truncated: full.length > MAX_CHARS };
}

// The field reference in docs/it/policies.md, generated from the policy JSON Schema (itself
// generated from the zod schema), so the reference IT reads cannot drift from what Gatehouse checks.

type SchemaNode = {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  format?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
};

type Row = { path: string; type: string; required: boolean; meaning: string };

export function policyReference(schema: SchemaNode): string {
  const sections: { title: string; rows: Row[] }[] = [];
  const document: Row[] = [];
  sections.push({ title: 'Document', rows: document });
  walk(schema, '', document, sections);
  return sections
    .filter((s) => s.rows.length > 0)
    .map(
      (s) =>
        `#### ${s.title}\n\n| field | type | required | meaning |\n| --- | --- | --- | --- |\n${s.rows
          .map((r) => `| \`${r.path}\` | ${r.type} | ${r.required ? 'yes' : ''} | ${markdownText(r.meaning)} |`)
          .join('\n')}\n`,
    )
    .join('\n');
}

function walk(node: SchemaNode, prefix: string, rows: Row[], sections: { title: string; rows: Row[] }[]): void {
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    if (name === '$schema') continue;
    const path = prefix ? `${prefix}.${name}` : name;
    rows.push({
      path,
      type: typeOf(child),
      required: node.required?.includes(name) ?? false,
      meaning: meaningOf(child),
    });
    const target = objectInside(child, path);
    if (target?.anyOf) {
      // Server variants: one section each, named after what the variant is.
      for (const variant of target.anyOf) {
        const variantRows: Row[] = [];
        sections.push({ title: `${firstSentence(variant.description)} (\`${target.path}\`)`, rows: variantRows });
        walk(variant, target.path, variantRows, sections);
      }
    } else if (target?.node.properties) {
      walk(target.node, target.path, rows, sections);
    }
  }
}

/** The object a property holds, and its path: itself, a list's items (`[]`) or a map's values (`.<id>`). */
function objectInside(
  node: SchemaNode,
  path: string,
): { node: SchemaNode; path: string; anyOf?: SchemaNode[] } | undefined {
  if (node.properties) return { node, path };
  if (node.items) return structured(node.items, `${path}[]`);
  if (typeof node.additionalProperties === 'object') return structured(node.additionalProperties, `${path}.<id>`);
  return undefined;
}

function structured(
  node: SchemaNode,
  path: string,
): { node: SchemaNode; path: string; anyOf?: SchemaNode[] } | undefined {
  if (node.anyOf) return { node, path, anyOf: node.anyOf };
  return node.properties ? { node, path } : undefined;
}

function typeOf(node: SchemaNode): string {
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' or ');
  if (node.anyOf) return 'one of the server kinds below';
  const type = Array.isArray(node.type) ? node.type.join(' or ') : node.type;
  if (type === 'array') return `list of ${plural(node.items ? typeOf(node.items) : 'values')}`;
  if (type === 'object' && !node.properties && typeof node.additionalProperties === 'object') {
    return `map of ${node.additionalProperties.anyOf ? 'server id' : 'name'} → ${typeOf(node.additionalProperties)}`;
  }
  if (type === 'string' && node.format === 'date-time') return 'date-time (ISO 8601)';
  if (type === 'string' && node.format === 'uri') return 'URL';
  return type ?? 'any';
}

function meaningOf(node: SchemaNode): string {
  return node.description ?? node.items?.description ?? '';
}

function firstSentence(text: string | undefined): string {
  return (text ?? '').split(/[.(]/)[0]!.trim();
}

function plural(type: string): string {
  return type === 'string' ? 'strings' : type === 'object' ? 'objects' : type;
}

/** Table cell text: no raw pipes or angle brackets (a `<policy endpoint>` would read as an HTML tag). */
function markdownText(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// The resources and the resource template the conformance suite reads by URI.
import {
  McpError,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
} from '@modelcontextprotocol/sdk/types.js';
import { RED_PIXEL_PNG_BASE64 } from './media.ts';

/** JSON-RPC code the MCP spec gives "resource not found"; the SDK's ErrorCode has no name for it. */
const RESOURCE_NOT_FOUND = -32002;

const TEMPLATE_URI = 'test://template/{id}/data';
const TEMPLATE_PATTERN = /^test:\/\/template\/([^/]+)\/data$/;

/** Ids offered when a client asks to complete the template's `{id}`. */
const TEMPLATE_IDS = ['123', '456', '789'];

type FixtureResource = Resource & { read(): ReadResourceResult };

const resources: FixtureResource[] = [
  {
    uri: 'test://static-text',
    name: 'static-text',
    description: 'A static text resource',
    mimeType: 'text/plain',
    read: () => ({
      contents: [
        { uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' },
      ],
    }),
  },
  {
    uri: 'test://static-binary',
    name: 'static-binary',
    description: 'A static binary resource (a PNG image)',
    mimeType: 'image/png',
    read: () => ({ contents: [{ uri: 'test://static-binary', mimeType: 'image/png', blob: RED_PIXEL_PNG_BASE64 }] }),
  },
  {
    uri: 'test://watched-resource',
    name: 'watched-resource',
    description: 'A resource clients may subscribe to',
    mimeType: 'text/plain',
    read: () => ({
      contents: [{ uri: 'test://watched-resource', mimeType: 'text/plain', text: 'Watched resource content' }],
    }),
  },
];

export function listFixtureResources(): Resource[] {
  return resources.map(({ read: _read, ...resource }) => resource);
}

export function listFixtureResourceTemplates(): ResourceTemplate[] {
  return [
    {
      uriTemplate: TEMPLATE_URI,
      name: 'template-data',
      description: 'Data for one id, substituted into the URI',
      mimeType: 'application/json',
    },
  ];
}

export function readFixtureResource(uri: string): ReadResourceResult {
  const resource = resources.find((candidate) => candidate.uri === uri);
  if (resource) return resource.read();
  const id = TEMPLATE_PATTERN.exec(uri)?.[1];
  if (id !== undefined) {
    const data = { id, templateTest: true, data: `Data for ID: ${id}` };
    return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(data) }] };
  }
  throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
}

export function isFixtureResourceUri(uri: string): boolean {
  return resources.some((resource) => resource.uri === uri) || TEMPLATE_PATTERN.test(uri);
}

/** Completion values for an argument of the template, or undefined when the reference is not ours. */
export function completeTemplateArgument(uriTemplate: string, argument: string, prefix: string): string[] | undefined {
  if (uriTemplate !== TEMPLATE_URI || argument !== 'id') return undefined;
  return TEMPLATE_IDS.filter((id) => id.startsWith(prefix));
}

/**
 * The MCP protocol versions the gateway speaks, as the SDK 1.x negotiates them. Kept here instead
 * of imported from '@modelcontextprotocol/sdk/types.js': that module builds every MCP zod schema
 * at load (about 20 MB of the gateway's idle memory), and the gateway needs only these strings.
 * test/gateway/protocol-versions.test.ts fails when the SDK's list moves on.
 */
export const LATEST_PROTOCOL_VERSION = '2025-11-25';

export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [
  LATEST_PROTOCOL_VERSION,
  '2025-06-18',
  '2025-03-26',
  '2024-11-05',
  '2024-10-07',
];

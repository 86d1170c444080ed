// A stdio MCP server (the SDK's McpServer) that floods: the `flood` tool sends `count` log
// notifications of `size` bytes as fast as stdout takes them, not tied to any request, then
// answers. `echo` answers its message. Run with Node 22: node test/hardening/support/flood-upstream.ts
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'flood-upstream', version: '1.0.0' }, { capabilities: { logging: {} } });

server.registerTool('echo', { inputSchema: { message: z.string() } }, async ({ message }) => ({
  content: [{ type: 'text', text: message }],
}));

server.registerTool(
  'flood',
  { inputSchema: { count: z.number().int(), size: z.number().int() } },
  async ({ count, size }) => {
    const data = 'f'.repeat(size);
    for (let i = 0; i < count; i++) {
      await server.server.notification({ method: 'notifications/message', params: { level: 'info', data } });
    }
    return { content: [{ type: 'text', text: `sent ${count}` }] };
  },
);

await server.connect(new StdioServerTransport());

// An upstream that takes long to start: a stdio MCP server that sleeps `--delay-ms` (default
// 10 000) before it reads its first message, like a server that downloads or compiles at start.
// The gateway spawns it and stops it with SIGTERM; should the gateway die first, the server exits
// on its own once its parent is gone, even mid-sleep.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const { values } = parseArgs({ options: { 'delay-ms': { type: 'string', default: '10000' } } });
const delayMs = Number(values['delay-ms']);

const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 500).unref();

await sleep(delayMs);
const server = new McpServer({ name: 'gatehouse-bench-slow', version: '1.0.0' });
server.registerTool(
  'slow_echo',
  {
    description: 'Returns the message it was given (from a server that starts slowly).',
    inputSchema: { message: z.string() },
  },
  async ({ message }) => ({ content: [{ type: 'text', text: message }] }),
);
await server.connect(new StdioServerTransport());

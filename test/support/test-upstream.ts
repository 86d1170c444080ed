// A small real MCP server (SDK McpServer over stdio) with the misbehaviours the gateway must
// survive: slow start, hangs, crashes, progress, cancellation. Run it with Node 22:
//   node test/support/test-upstream.ts   (env STARTUP_DELAY_MS delays the first byte)
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'test-upstream', version: '1.0.0' }, { capabilities: { logging: {} } });
let cancelled = 0;

server.registerTool(
  'echo',
  { description: 'Echoes the message', inputSchema: { message: z.string() } },
  async ({ message }) => ({
    content: [{ type: 'text', text: message }],
  }),
);

server.registerTool(
  'slow',
  { description: 'Reports progress every 50 ms, then answers', inputSchema: { steps: z.number().int() } },
  async ({ steps }, extra) => {
    for (let i = 1; i <= steps; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const token = extra._meta?.progressToken;
      if (token !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress: i, total: steps },
        });
      }
    }
    return { content: [{ type: 'text', text: `done after ${steps} steps` }] };
  },
);

server.registerTool('wait-for-cancel', { description: 'Waits until cancelled' }, async (extra) => {
  await new Promise<void>((resolve) => extra.signal.addEventListener('abort', () => resolve()));
  cancelled++;
  return { content: [{ type: 'text', text: 'cancelled' }] };
});

server.registerTool('cancelled-count', { description: 'How many calls were cancelled' }, async () => ({
  content: [{ type: 'text', text: String(cancelled) }],
}));

server.registerTool('hang', { description: 'Never answers' }, () => new Promise(() => {}));

server.registerTool('crash', { description: 'Exits the process mid-call' }, async () => {
  setTimeout(() => process.exit(3), 10);
  return new Promise(() => {});
});

server.registerTool('pid', { description: 'The process id' }, async () => ({
  content: [{ type: 'text', text: String(process.pid) }],
}));

server.registerTool(
  'log',
  { description: 'Sends a log message, then answers', inputSchema: { text: z.string() } },
  async ({ text }, extra) => {
    await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: text } });
    return { content: [{ type: 'text', text: 'logged' }] };
  },
);

// STARTUP_DELAY_FILE lets a test change the delay between runs without changing the server's
// config (which would invalidate the gateway's list cache).
const delayFile = process.env.STARTUP_DELAY_FILE;
const delay = delayFile
  ? Number(await import('node:fs').then((fs) => fs.readFileSync(delayFile, 'utf8')))
  : Number(process.env.STARTUP_DELAY_MS ?? 0);
if (delay > 0) await new Promise((r) => setTimeout(r, delay));
if (process.env.GARBAGE_FIRST) process.stdout.write('this is not json\n');
await server.connect(new StdioServerTransport());

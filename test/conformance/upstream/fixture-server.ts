// One MCP server (one per client session) that serves the conformance fixtures. Built on the SDK's
// low-level `Server` rather than `McpServer`: the fixtures are exact wire shapes (raw JSON Schema,
// hand-written content), and `McpServer` would rewrite tool schemas through zod.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type LoggingLevel,
} from '@modelcontextprotocol/sdk/types.js';
import { completePromptArgument, getFixturePrompt, listFixturePrompts } from './prompts.ts';
import {
  completeTemplateArgument,
  isFixtureResourceUri,
  listFixtureResources,
  listFixtureResourceTemplates,
  readFixtureResource,
} from './resources.ts';
import { findFixtureTool, InvalidToolArguments, listFixtureTools, type ToolContext } from './tools.ts';

const SEVERITY: readonly LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

export function createFixtureServer(): Server {
  const server = new Server(
    { name: 'gatehouse-conformance-upstream', version: '1.0.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      },
    },
  );
  // Per session: what the client asked for with logging/setLevel and resources/subscribe.
  let minimumLogLevel: LoggingLevel | undefined;
  const subscriptions = new Set<string>();

  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    minimumLogLevel = request.params.level;
    return {};
  });

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: listFixtureTools() }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = findFixtureTool(request.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    const context: ToolContext = {
      extra,
      clientCapabilities: server.getClientCapabilities(),
      log: async (level, data) => {
        if (minimumLogLevel && SEVERITY.indexOf(level) < SEVERITY.indexOf(minimumLogLevel)) return;
        await extra.sendNotification({ method: 'notifications/message', params: { level, logger: 'fixtures', data } });
      },
    };
    try {
      return await tool.call(request.params.arguments ?? {}, context);
    } catch (error) {
      if (error instanceof InvalidToolArguments)
        return { isError: true, content: [{ type: 'text', text: error.message }] };
      throw error;
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: listFixtureResources() }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: listFixtureResourceTemplates(),
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => readFixtureResource(request.params.uri));
  server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    if (!isFixtureResourceUri(request.params.uri)) {
      throw new McpError(ErrorCode.InvalidParams, `Cannot subscribe to unknown resource: ${request.params.uri}`);
    }
    subscriptions.add(request.params.uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: listFixturePrompts() }));
  server.setRequestHandler(GetPromptRequestSchema, async (request) =>
    getFixturePrompt(request.params.name, request.params.arguments ?? {}),
  );

  server.setRequestHandler(CompleteRequestSchema, async (request) => {
    const { ref, argument } = request.params;
    const values =
      ref.type === 'ref/prompt'
        ? completePromptArgument(ref.name, argument.name, argument.value)
        : completeTemplateArgument(ref.uri, argument.name, argument.value);
    const found = values ?? [];
    return { completion: { values: found, total: found.length, hasMore: false } };
  });

  return server;
}

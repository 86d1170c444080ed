// The tools the conformance suite calls by name, each answering with the exact shape its scenario
// describes (`npx conformance list --server`, then the scenario's description). Definitions are
// plain JSON Schema rather than zod so that what goes on the wire is exactly what is written here:
// `json-schema-2020-12` checks that `$schema`, `$defs` and `additionalProperties` survive.
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  type CallToolResult,
  type ClientCapabilities,
  type ElicitRequestFormParams,
  type LoggingLevel,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { RED_PIXEL_PNG_BASE64, SILENT_WAV_BASE64 } from './media.ts';

export type ToolContext = {
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>;
  clientCapabilities: ClientCapabilities | undefined;
  /** Sends a log notification on the call's stream unless the session's level filters it out. */
  log(level: LoggingLevel, data: string): Promise<void>;
};

type FixtureTool = {
  definition: Tool;
  call(args: Record<string, unknown>, context: ToolContext): Promise<CallToolResult>;
};

const NO_ARGUMENTS = { type: 'object', properties: {} } as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

const toolError = (message: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text: message }] });

function stringArgument(args: Record<string, unknown>, name: string): string {
  const value = args[name];
  if (typeof value !== 'string') throw new InvalidToolArguments(`argument '${name}' must be a string`);
  return value;
}

/** A call whose arguments do not match the tool's schema: answered as a tool error, not a crash. */
export class InvalidToolArguments extends Error {
  readonly code = 'INVALID_TOOL_ARGUMENTS';
}

/** Asks the client for a form; `label` starts the text the scenario expects back. */
async function elicit(context: ToolContext, label: string, params: ElicitRequestFormParams): Promise<CallToolResult> {
  if (!context.clientCapabilities?.elicitation) return toolError('The client does not support elicitation.');
  const result = await context.extra.sendRequest({ method: 'elicitation/create', params }, ElicitResultSchema);
  return text(`${label}: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
}

const tools: FixtureTool[] = [
  {
    definition: {
      name: 'test_simple_text',
      description: 'Returns one text content item',
      inputSchema: NO_ARGUMENTS,
    },
    call: async () => text('This is a simple text response for testing.'),
  },
  {
    definition: { name: 'test_image_content', description: 'Returns one PNG image', inputSchema: NO_ARGUMENTS },
    call: async () => ({ content: [{ type: 'image', data: RED_PIXEL_PNG_BASE64, mimeType: 'image/png' }] }),
  },
  {
    definition: { name: 'test_audio_content', description: 'Returns one WAV audio clip', inputSchema: NO_ARGUMENTS },
    call: async () => ({ content: [{ type: 'audio', data: SILENT_WAV_BASE64, mimeType: 'audio/wav' }] }),
  },
  {
    definition: {
      name: 'test_embedded_resource',
      description: 'Returns an embedded text resource',
      inputSchema: NO_ARGUMENTS,
    },
    call: async () => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'This is an embedded resource content.',
          },
        },
      ],
    }),
  },
  {
    definition: {
      name: 'test_multiple_content_types',
      description: 'Returns text, an image and an embedded resource',
      inputSchema: NO_ARGUMENTS,
    },
    call: async () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: RED_PIXEL_PNG_BASE64, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  },
  {
    definition: {
      name: 'test_tool_with_logging',
      description: 'Sends three info log notifications while it runs',
      inputSchema: NO_ARGUMENTS,
    },
    call: async (_args, context) => {
      await context.log('info', 'Tool execution started');
      await sleep(50);
      await context.log('info', 'Tool processing data');
      await sleep(50);
      await context.log('info', 'Tool execution completed');
      return text('Tool with logging executed successfully');
    },
  },
  {
    definition: {
      name: 'test_error_handling',
      description: 'Always fails with a tool error (isError: true)',
      inputSchema: NO_ARGUMENTS,
    },
    call: async () => toolError('This tool intentionally returns an error for testing'),
  },
  {
    definition: {
      name: 'test_tool_with_progress',
      description: 'Reports progress 0, 50 and 100 of 100 when the call carries a progress token',
      inputSchema: NO_ARGUMENTS,
    },
    call: async (_args, context) => {
      const progressToken = context.extra._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        if (progress > 0) await sleep(50);
        if (progressToken !== undefined) {
          await context.extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken, progress, total: 100, message: `Completed step ${progress} of 100` },
          });
        }
      }
      return text(`Progress test completed (token: ${String(progressToken)})`);
    },
  },
  {
    definition: {
      name: 'test_sampling',
      description: 'Asks the client to sample an LLM with the given prompt',
      inputSchema: {
        type: 'object',
        properties: { prompt: { type: 'string', description: 'The prompt to send to the LLM' } },
        required: ['prompt'],
      },
    },
    call: async (args, context) => {
      const prompt = stringArgument(args, 'prompt');
      if (!context.clientCapabilities?.sampling) return toolError('The client does not support sampling.');
      const result = await context.extra.sendRequest(
        {
          method: 'sampling/createMessage',
          params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 },
        },
        CreateMessageResultSchema,
      );
      const reply = result.content.type === 'text' ? result.content.text : `[${result.content.type}]`;
      return text(`LLM response: ${reply}`);
    },
  },
  {
    definition: {
      name: 'test_elicitation',
      description: 'Asks the user, through the client, for a username and an email address',
      inputSchema: {
        type: 'object',
        properties: { message: { type: 'string', description: 'The message to show the user' } },
        required: ['message'],
      },
    },
    call: async (args, context) =>
      elicit(context, 'User response', {
        message: stringArgument(args, 'message'),
        requestedSchema: {
          type: 'object',
          properties: {
            username: { type: 'string', description: "User's response" },
            email: { type: 'string', description: "User's email address" },
          },
          required: ['username', 'email'],
        },
      }),
  },
  {
    definition: {
      name: 'test_elicitation_sep1034_defaults',
      description: 'Elicits a form whose primitive fields all carry defaults (SEP-1034)',
      inputSchema: NO_ARGUMENTS,
    },
    call: async (_args, context) =>
      elicit(context, 'Elicitation completed', {
        message: 'Please review and update the form fields with defaults',
        requestedSchema: {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'User name', default: 'John Doe' },
            age: { type: 'integer', description: 'User age', default: 30 },
            score: { type: 'number', description: 'User score', default: 95.5 },
            status: {
              type: 'string',
              description: 'User status',
              enum: ['active', 'inactive', 'pending'],
              default: 'active',
            },
            verified: { type: 'boolean', description: 'Verification status', default: true },
          },
        },
      }),
  },
  {
    definition: {
      name: 'test_elicitation_sep1330_enums',
      description: 'Elicits a form with the five enum variants of SEP-1330',
      inputSchema: NO_ARGUMENTS,
    },
    call: async (_args, context) =>
      elicit(context, 'Elicitation completed', {
        message: 'Please pick from each of these lists',
        requestedSchema: {
          type: 'object',
          properties: {
            untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
            titledSingle: {
              type: 'string',
              oneOf: [
                { const: 'value1', title: 'First Option' },
                { const: 'value2', title: 'Second Option' },
                { const: 'value3', title: 'Third Option' },
              ],
            },
            legacyEnum: {
              type: 'string',
              enum: ['opt1', 'opt2', 'opt3'],
              enumNames: ['Option One', 'Option Two', 'Option Three'],
            },
            untitledMulti: { type: 'array', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
            titledMulti: {
              type: 'array',
              items: {
                anyOf: [
                  { const: 'value1', title: 'First Choice' },
                  { const: 'value2', title: 'Second Choice' },
                  { const: 'value3', title: 'Third Choice' },
                ],
              },
            },
          },
        },
      }),
  },
  {
    definition: {
      name: 'json_schema_2020_12_tool',
      description: 'Tool with JSON Schema 2020-12 features',
      inputSchema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        $defs: {
          address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } },
        },
        properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
        additionalProperties: false,
      },
    },
    call: async (args) => text(`Received: ${JSON.stringify(args)}`),
  },
  {
    definition: {
      name: 'test_reconnection',
      description: 'Closes its SSE stream mid-call and answers after the client reconnects (SEP-1699)',
      inputSchema: NO_ARGUMENTS,
    },
    call: async (_args, context) => {
      // Present only on Streamable HTTP with an event store; over stdio the call simply completes.
      context.extra.closeSSEStream?.();
      await sleep(100);
      return text('Reconnection test completed: the result arrived after the stream was closed.');
    },
  },
];

const toolsByName = new Map(tools.map((tool) => [tool.definition.name, tool]));

export function listFixtureTools(): Tool[] {
  return tools.map((tool) => tool.definition);
}

/** Returns undefined for an unknown tool so the caller can answer with a JSON-RPC error. */
export function findFixtureTool(name: string): FixtureTool | undefined {
  return toolsByName.get(name);
}

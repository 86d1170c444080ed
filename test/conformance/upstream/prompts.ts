// The prompts the conformance suite gets by name, with the arguments its scenarios pass.
import { ErrorCode, McpError, type GetPromptResult, type Prompt } from '@modelcontextprotocol/sdk/types.js';
import { RED_PIXEL_PNG_BASE64 } from './media.ts';

type FixturePrompt = Prompt & { get(args: Record<string, string>): GetPromptResult };

/** Values offered when a client asks to complete an argument of `test_prompt_with_arguments`. */
const ARGUMENT_SUGGESTIONS = ['paris', 'park', 'party', 'test', 'testValue1', 'testValue2'];

function requiredArgument(args: Record<string, string>, name: string): string {
  const value = args[name];
  if (value === undefined) throw new McpError(ErrorCode.InvalidParams, `Missing required argument '${name}'`);
  return value;
}

const prompts: FixturePrompt[] = [
  {
    name: 'test_simple_prompt',
    description: 'A prompt without arguments',
    get: () => ({
      messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
    }),
  },
  {
    name: 'test_prompt_with_arguments',
    description: 'A prompt that substitutes two arguments',
    arguments: [
      { name: 'arg1', description: 'First test argument', required: true },
      { name: 'arg2', description: 'Second test argument', required: true },
    ],
    get: (args) => {
      const arg1 = requiredArgument(args, 'arg1');
      const arg2 = requiredArgument(args, 'arg2');
      return {
        messages: [
          { role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } },
        ],
      };
    },
  },
  {
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt that embeds the resource it is given',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
    get: (args) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: requiredArgument(args, 'resourceUri'),
              mimeType: 'text/plain',
              text: 'Embedded resource content for testing.',
            },
          },
        },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  },
  {
    name: 'test_prompt_with_image',
    description: 'A prompt that carries an image',
    get: () => ({
      messages: [
        { role: 'user', content: { type: 'image', data: RED_PIXEL_PNG_BASE64, mimeType: 'image/png' } },
        { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
      ],
    }),
  },
];

export function listFixturePrompts(): Prompt[] {
  return prompts.map(({ get: _get, ...prompt }) => prompt);
}

export function getFixturePrompt(name: string, args: Record<string, string>): GetPromptResult {
  const prompt = prompts.find((candidate) => candidate.name === name);
  if (!prompt) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`);
  return prompt.get(args);
}

/** Completion values for a prompt argument, or undefined when the prompt or argument is not ours. */
export function completePromptArgument(promptName: string, argument: string, prefix: string): string[] | undefined {
  const prompt = prompts.find((candidate) => candidate.name === promptName);
  if (!prompt?.arguments?.some((declared) => declared.name === argument)) return undefined;
  return ARGUMENT_SUGGESTIONS.filter((value) => value.startsWith(prefix));
}

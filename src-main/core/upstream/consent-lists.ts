import type { ServerLists } from './list-cache.ts';

/** The one tool of a server that waits for the user's consent: `<server>__connect` on /mcp. */
const CONSENT_TOOL = 'connect';

/**
 * What a server that needs the user's consent offers before it was ever listed: one tool whose
 * call answers with what to do, so an AI client has something to call and the user learns why
 * the server's real tools are missing. Never written to the list cache.
 */
export function consentLists(server: string, configHash: string): ServerLists {
  return {
    configHash,
    fetchedAt: new Date().toISOString(),
    placeholder: true,
    capabilities: { tools: {} },
    serverInfo: { name: server, version: '' },
    tools: [
      {
        name: CONSENT_TOOL,
        title: `Connect ${server}`,
        description: `${server} needs the user to sign in before its tools are available. Calling this tool explains how; the user connects it in Gatehouse (window or \`gatehouse connect ${server}\`).`,
        inputSchema: { type: 'object', properties: {} },
      },
    ],
    prompts: [],
    resources: [],
    resourceTemplates: [],
  };
}

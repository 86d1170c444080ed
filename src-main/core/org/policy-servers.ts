import type { ServerConfig } from '../config/index.ts';
import type { PolicyDocument, PolicyServer } from '../policy/index.ts';

/** The org policy's servers in the gateway's own server shape (the same mcpServers fields). */
export function serversFromPolicy(policy: PolicyDocument): ServerConfig[] {
  return Object.entries(policy.servers).map(([name, server]) => toServerConfig(name, server));
}

function toServerConfig(name: string, server: PolicyServer): ServerConfig {
  if ('command' in server) {
    return {
      name,
      transport: 'stdio',
      command: server.command,
      ...(server.args && { args: server.args }),
      ...(server.env && { env: server.env }),
      ...(server.cwd && { cwd: server.cwd }),
    };
  }
  return {
    name,
    transport: server.type === 'sse' ? 'sse' : 'http',
    url: server.url,
    ...(server.headers && { headers: server.headers }),
    // Read by the upstream OAuth module (src-main/core/upstream-auth): a client id / scopes set by the org.
    ...(server.oauth && { oauth: server.oauth }),
  };
}

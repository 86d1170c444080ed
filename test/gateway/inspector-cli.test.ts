import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE, ROOT, servers, startGateway, type RunningGateway } from '../support/gateway-harness.ts';

const run = promisify(execFile);
const INSPECTOR = path.join(ROOT, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');

// The acceptance path: the official MCP Inspector CLI, with only a URL and a header.
describe('MCP Inspector CLI through Gatehouse', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway({ everything: servers.everything() });
  });
  afterAll(() => gw?.close());

  async function inspector(...args: string[]): Promise<unknown> {
    const { stdout } = await run(
      NODE,
      [INSPECTOR, '--cli', gw.gateway.endpoint, '--header', `Authorization: Bearer ${gw.token}`, ...args],
      { timeout: 60_000 },
    );
    return JSON.parse(stdout);
  }

  it('lists the aggregated tools and calls one', async () => {
    const list = (await inspector('--method', 'tools/list')) as { tools: { name: string }[] };
    expect(list.tools.map((t) => t.name)).toContain('everything__get-sum');
    const call = await inspector(
      '--method',
      'tools/call',
      '--tool-name',
      'everything__get-sum',
      '--tool-arg',
      'a=2',
      '--tool-arg',
      'b=3',
    );
    expect(call).toEqual({ content: [{ type: 'text', text: 'The sum of 2 and 3 is 5.' }] });
  });
});

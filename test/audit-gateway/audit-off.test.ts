import { afterEach, describe, expect, it } from 'vitest';
import { connect, servers, startGateway, textOf, type RunningGateway } from '../support/gateway-harness.ts';

let gw: RunningGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('a gateway composed with audit: false (the bench baseline, GATEHOUSE_AUDIT=off)', () => {
  it('answers calls without recording them, and its log still opens for the API', async () => {
    gw = await startGateway({ test: servers.testUpstream() }, { audit: false });
    const client = await connect(gw.gateway.endpoint, gw.token);
    try {
      expect(textOf(await client.callTool({ name: 'test__echo', arguments: { message: 'unrecorded' } }))).toBe(
        'unrecorded',
      );
    } finally {
      await client.close();
    }
    await gw.gateway.audit.flush();
    expect((await gw.gateway.audit.query({})).records).toEqual([]);
    expect(gw.gateway.audit.status().readOnly).toBe(false);
  });
});

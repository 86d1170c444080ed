import * as sdk from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '../../src-main/core/jsonrpc/protocol-versions.ts';

describe('the protocol versions the gateway negotiates', () => {
  it('are the installed SDK’s (the gateway keeps its own copy so as not to load the SDK’s schemas)', () => {
    expect(LATEST_PROTOCOL_VERSION).toBe(sdk.LATEST_PROTOCOL_VERSION);
    expect([...SUPPORTED_PROTOCOL_VERSIONS]).toEqual(sdk.SUPPORTED_PROTOCOL_VERSIONS);
  });
});

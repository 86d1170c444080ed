import fs from 'node:fs/promises';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  IdentityError,
  buildUpstreamHeaders,
  identityHeaderNames,
  resourcesToRequest,
  stripSpoofableHeaders,
} from '../../src-main/core/identity/index.ts';
import type { ForwardedUser, IdentityForwarding } from '../../src-main/core/identity/index.ts';
import { startTestIdp } from '../support/idp.ts';
import { makeAuthClient, makeTempDir } from './fixtures.ts';

const alice: ForwardedUser = {
  sub: 'alice',
  email: 'alice@example.test',
  groups: ['eng', 'mcp-admins'],
  roles: ['admin'],
  team: 'platform',
  claims: { sub: 'alice', email: 'alice@example.test', groups: ['eng', 'mcp-admins'], department: 'R&D', exp: 1 },
};

const noToken = async (): Promise<string> => {
  throw new Error('no token expected');
};

describe('buildUpstreamHeaders', () => {
  it('sends nothing when the server has no identity settings', async () => {
    expect(await buildUpstreamHeaders({ user: alice, forwarding: undefined, getAccessToken: noToken })).toEqual({});
    expect(await buildUpstreamHeaders({ user: undefined, forwarding: {}, getAccessToken: noToken })).toEqual({});
  });

  it('puts the chosen claims into one JSON header and one claim per header', async () => {
    const headers = await buildUpstreamHeaders({
      user: alice,
      forwarding: {
        claimsHeader: { name: 'X-Gatehouse-Claims', claims: ['sub', 'email', 'groups', 'department', 'missing'] },
        claimHeaders: { email: 'X-User-Email', groups: 'X-User-Groups', roles: 'X-User-Roles', team: 'X-User-Team' },
      },
      getAccessToken: noToken,
    });
    expect(headers).toEqual({
      'X-Gatehouse-Claims': JSON.stringify({
        sub: 'alice',
        email: 'alice@example.test',
        groups: ['eng', 'mcp-admins'],
        department: 'R&D',
      }),
      'X-User-Email': 'alice@example.test',
      'X-User-Groups': 'eng,mcp-admins',
      'X-User-Roles': 'admin',
      'X-User-Team': 'platform',
    });
  });

  it('keeps header values valid and lists unambiguous (non-ASCII, commas, CR/LF)', async () => {
    const user: ForwardedUser = {
      ...alice,
      groups: ['R&D, Paris', 'café', 'evil\r\nX-Injected: 1'],
      roles: [],
      claims: { name: 'Zoë 😀' },
    };
    const headers = await buildUpstreamHeaders({
      user,
      forwarding: {
        claimsHeader: { name: 'X-Claims', claims: ['name'] },
        claimHeaders: { groups: 'X-User-Groups', roles: 'X-User-Roles' },
      },
      getAccessToken: noToken,
    });
    expect(headers['X-User-Groups']).toBe('R&D%2C Paris,caf%C3%A9,evil%0D%0AX-Injected: 1');
    expect(headers['X-User-Roles']).toBe('');
    expect(headers['X-Claims']).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(headers['X-Claims']!)).toEqual({ name: 'Zoë 😀' });
    expect(() => new Headers(headers)).not.toThrow();
  });

  it('asks for the token of this server’s resource and sends it as a bearer token', async () => {
    const asked: unknown[] = [];
    const headers = await buildUpstreamHeaders({
      user: alice,
      forwarding: { accessToken: { resource: 'https://crm.example.com/mcp', scope: 'mcp:tools' } },
      getAccessToken: async (request) => {
        asked.push(request);
        return 'token-for-crm';
      },
    });
    expect(asked).toEqual([{ resource: 'https://crm.example.com/mcp', scope: 'mcp:tools' }]);
    expect(headers).toEqual({ Authorization: 'Bearer token-for-crm' });
  });

  it('adds the shared secret, and refuses to go on without it', async () => {
    const forwarding: IdentityForwarding = { sharedSecret: { header: 'X-Gatehouse-Secret', secretRef: 'crm/shared' } };
    expect(
      await buildUpstreamHeaders({ user: undefined, forwarding, getAccessToken: noToken, sharedSecret: 's3cret' }),
    ).toEqual({
      'X-Gatehouse-Secret': 's3cret',
    });
    const error = await buildUpstreamHeaders({ user: undefined, forwarding, getAccessToken: noToken }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IdentityError);
    expect(error).toMatchObject({ code: 'shared_secret_missing', message: expect.stringContaining('crm/shared') });
  });

  it('refuses to forward identity nobody verified', async () => {
    await expect(
      buildUpstreamHeaders({
        user: undefined,
        forwarding: { claimHeaders: { email: 'X-User-Email' } },
        getAccessToken: noToken,
      }),
    ).rejects.toMatchObject({ code: 'identity_unavailable' });
  });

  it('forwards a token from the real IdP that the upstream verifies against the JWKS', async () => {
    const idp = await startTestIdp();
    const dataDir = await makeTempDir();
    try {
      const resource = 'http://127.0.0.1:7777/mcp';
      const forwarding: IdentityForwarding = { accessToken: { resource }, claimHeaders: { email: 'X-User-Email' } };
      const { client } = makeAuthClient(idp, dataDir, { resources: resourcesToRequest([forwarding, undefined]) });
      const user = await client.login({ loginHint: 'bob' });

      const headers = await buildUpstreamHeaders({ user, forwarding, getAccessToken: client.getAccessToken });

      const token = headers.Authorization!.replace(/^Bearer /, '');
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), {
        issuer: idp.issuer,
        audience: resource,
      });
      expect(payload).toMatchObject({ sub: 'bob', email: 'bob@example.test', groups: ['sales'] });
      expect(headers['X-User-Email']).toBe('bob@example.test');
    } finally {
      await idp.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('stripSpoofableHeaders', () => {
  it('removes credentials, cookies, identity families and the configured identity headers, any case', () => {
    const forwarding: IdentityForwarding = {
      claimsHeader: { name: 'X-Org-Claims', claims: ['email'] },
      claimHeaders: { email: 'X-Employee-Mail' },
      accessToken: { resource: 'https://crm.example.com/mcp' },
      sharedSecret: { header: 'X-Org-Proof', secretRef: 's' },
    };
    const client = {
      Authorization: 'Bearer forged',
      'proxy-authorization': 'Basic x',
      Cookie: 'session=1',
      'x-user-email': 'ceo@example.test',
      'X-User-Groups': 'mcp-admins',
      'X-Gatehouse-Claims': '{}',
      'x-forwarded-user': 'ceo',
      'X-ORG-CLAIMS': '{"email":"ceo@example.test"}',
      'x-employee-mail': 'ceo@example.test',
      'x-org-proof': 'guess',
      'content-type': 'application/json',
      'mcp-protocol-version': '2025-11-25',
      accept: ['application/json', 'text/event-stream'],
    };
    expect(stripSpoofableHeaders(client, identityHeaderNames(forwarding))).toEqual({
      'content-type': 'application/json',
      'mcp-protocol-version': '2025-11-25',
      accept: ['application/json', 'text/event-stream'],
    });
  });

  it('lists the header names a server’s identity settings own', () => {
    expect(
      identityHeaderNames({
        claimsHeader: { name: 'X-Claims', claims: ['sub'] },
        claimHeaders: { email: 'X-User-Email', team: 'X-Team' },
        accessToken: { audience: 'crm' },
        sharedSecret: { header: 'X-Proof', secretRef: 's' },
      }),
    ).toEqual(['X-Claims', 'X-User-Email', 'X-Team', 'X-Proof', 'Authorization']);
    expect(identityHeaderNames(undefined)).toEqual([]);
  });

  it('collects each resource once for the sign-in request', () => {
    expect(
      resourcesToRequest([
        { accessToken: { resource: 'https://a/mcp' } },
        { accessToken: { audience: 'api://b' } },
        { accessToken: { resource: 'https://a/mcp' } },
        { claimHeaders: { email: 'X-User-Email' } },
        undefined,
      ]),
    ).toEqual(['https://a/mcp', 'api://b']);
  });
});

// RFC 8693 token exchange for the test and demo IdP. oidc-provider 9 has no built-in token exchange;
// it offers `registerGrantType` for grants like this one.
import { errors } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const PARAMETERS = [
  'subject_token',
  'subject_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
  'actor_token',
  'actor_token_type',
];

/**
 * The client trades a user's access token it holds (an opaque token this IdP issued to that same
 * client) for a JWT access token whose audience is the server named by `audience` or `resource`,
 * carrying the same user (and, through extraTokenClaims, their email, groups, roles and team).
 */
export function registerTokenExchange(
  provider: Provider,
  options: { resourceScope: string; accessTokenTtl: number },
): void {
  provider.registerGrantType(
    TOKEN_EXCHANGE_GRANT,
    async (ctx: KoaContextWithOIDC) => {
      const params = ctx.oidc.params as Record<string, string | undefined>;
      const client = ctx.oidc.client!;
      if (!params.subject_token) throw new errors.InvalidRequest('subject_token is required');
      if (params.subject_token_type !== ACCESS_TOKEN_TYPE) {
        throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
      }
      if (params.requested_token_type && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
        throw new errors.InvalidRequest(`only ${ACCESS_TOKEN_TYPE} can be requested`);
      }
      if (params.actor_token) throw new errors.InvalidRequest('delegation (actor_token) is not supported');
      const audience = params.audience ?? params.resource;
      if (!audience) throw new errors.InvalidTarget('audience or resource is required');
      const subject = await provider.AccessToken.find(params.subject_token);
      if (!subject || subject.clientId !== client.clientId || !subject.accountId) {
        throw new errors.InvalidGrant('subject_token is invalid, expired or was not issued to this client');
      }
      const scope = params.scope ?? options.resourceScope;
      const token = new provider.AccessToken({
        accountId: subject.accountId,
        client,
        grantId: subject.grantId,
        gty: 'token_exchange',
        scope,
      });
      token.resourceServer = new provider.ResourceServer(audience, {
        audience,
        scope,
        accessTokenTTL: options.accessTokenTtl,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      });
      ctx.oidc.entity('AccessToken', token);
      const value = await token.save();
      ctx.body = {
        access_token: value,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: 'Bearer',
        expires_in: token.expiration,
        scope,
      };
    },
    PARAMETERS,
    ['audience', 'resource'],
  );
}

import * as oidc from 'openid-client';
import { AuthError, toAuthError } from './errors.ts';

export type DiscoveryOptions = {
  issuer: string;
  clientId: string;
  fetch?: typeof fetch;
  allowInsecureHttp?: boolean;
  /** Seconds per HTTP request to the IdP. */
  timeoutSeconds: number;
};

/**
 * Reads the IdP's metadata. Plain http is refused unless explicitly allowed and on a loopback
 * address (tests, the demo IdP): anywhere else it would hand tokens to the network in clear text.
 */
export async function discoverIdp(options: DiscoveryOptions): Promise<oidc.Configuration> {
  const issuerUrl = checkIssuer(options.issuer, options.allowInsecureHttp === true);
  const fetchImpl = options.fetch;
  try {
    return await oidc.discovery(issuerUrl, options.clientId, undefined, oidc.None(), {
      execute: issuerUrl.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
      timeout: options.timeoutSeconds,
      ...(fetchImpl && {
        [oidc.customFetch]: (url: string, init: oidc.CustomFetchOptions) => fetchImpl(url, init as RequestInit),
      }),
    });
  } catch (error) {
    const mapped = toAuthError(error, 'idp_error', 'reading its configuration', options.issuer);
    if (mapped.code === 'idp_error') {
      throw new AuthError(
        'idp_error',
        `${options.issuer} does not look like an OpenID Connect issuer (${(error as Error).message}). Check the issuer URL in the org configuration.`,
        { cause: error },
      );
    }
    throw mapped;
  }
}

function checkIssuer(issuer: string, allowInsecureHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch (cause) {
    throw new AuthError(
      'idp_error',
      `The issuer ${JSON.stringify(issuer)} is not a URL. Check the org configuration.`,
      { cause },
    );
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && allowInsecureHttp && isLoopback(url.hostname)) return url;
  throw new AuthError(
    'insecure_issuer',
    url.protocol === 'http:' && isLoopback(url.hostname)
      ? `The issuer ${issuer} uses plain http; that is only allowed for local test and demo IdPs when enabled.`
      : `The issuer ${issuer} must use https: Gatehouse never sends sign-in tokens over plain http.`,
  );
}

function isLoopback(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]' || hostname === '::1';
}

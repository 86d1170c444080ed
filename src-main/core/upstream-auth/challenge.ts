/** What a server's `WWW-Authenticate: Bearer …` challenge says (RFC 6750, RFC 9728 §5.1). */
export type BearerChallenge = {
  resourceMetadataUrl?: string;
  scope?: string;
  error?: string;
};

/** The Bearer challenge's parameters, or undefined when the header asks for no bearer token. */
export function parseBearerChallenge(header: string | undefined): BearerChallenge | undefined {
  if (!header) return undefined;
  const bearer = /(?:^|,)\s*Bearer(?:\s+(.*))?$/i.exec(header);
  if (!bearer) return undefined;
  const params: Record<string, string> = {};
  for (const match of (bearer[1] ?? '').matchAll(/([a-z_][a-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/gi)) {
    params[match[1]!.toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!;
  }
  let resourceMetadataUrl: string | undefined;
  try {
    resourceMetadataUrl = params.resource_metadata ? new URL(params.resource_metadata).href : undefined;
  } catch {
    resourceMetadataUrl = undefined;
  }
  return {
    ...(resourceMetadataUrl && { resourceMetadataUrl }),
    ...(params.scope && { scope: params.scope }),
    ...(params.error && { error: params.error }),
  };
}

import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { errors as joseErrors } from 'jose';
import type { JWTPayload } from 'jose';
import type { OrgConfig } from '../core/policy/index.ts';
import { createEventHub } from './event-hub.ts';
import { createPolicySource } from './policy-source.ts';
import { readSecretsFile, secretsForUser, watchSecretsFile } from './secrets.ts';
import type { PolicySigningKey } from './signing-key.ts';
import { createTokenVerifier } from './token-verifier.ts';
import type { TokenVerifier } from './token-verifier.ts';

export type OrgServerLogger = { info(message: string): void; error(message: string): void };

export type OrgServerOptions = {
  /** Policy document, or variants file, served at GET /policy. */
  policyFile: string;
  /** IdP issuer: access tokens must come from it. */
  issuer: string;
  /** Audience the access tokens must carry (the policy endpoint's resource). */
  audience: string | string[];
  /** JWKS of the IdP; default: discovered from the issuer metadata. */
  jwksUri?: string;
  /** Sign every served document with this key (clients then check it against the managed config keys). */
  signingKey?: PolicySigningKey;
  /** OIDC client id of the Gatehouse app, for the discovery document. */
  clientId?: string;
  orgName?: string;
  contact?: string;
  /** Base URL clients use to reach this server, for the discovery document. Default: http://<host>:<port>. */
  publicUrl?: string;
  /**
   * The org's secrets (`{ "<secretRef>": "<value>" }`), served at GET /policy/secrets to each user
   * for the servers the policy allows them. Absent: no secret delivery (404).
   */
  secretsFile?: string;
  /** Handler for POST /audit (after token verification; the verified claims are in res.locals.claims). */
  auditHandler?: RequestHandler;
  heartbeatMs?: number;
  logger?: OrgServerLogger;
};

export type RunningOrgServer = {
  url: string;
  port: number;
  /** Number of laptops on the push channel. */
  pushClients(): number;
  /** Re-read the policy file now (the watcher does this on its own). */
  reload(): Promise<boolean>;
  close(): Promise<void>;
};

/**
 * The reference org server: serves the policy to signed-in users, pushes changes, publishes the
 * discovery document. Small on purpose: any web server that can check a bearer token and serve a
 * file can replace it.
 */
export async function startOrgServer(
  options: OrgServerOptions & { host?: string; port?: number },
): Promise<RunningOrgServer> {
  const logger = options.logger ?? { info: (m) => console.log(m), error: (m) => console.error(m) };
  const source = await createPolicySource(options.policyFile, options.signingKey);
  const hub = createEventHub({ heartbeatMs: options.heartbeatMs });
  const verify = createTokenVerifier({ issuer: options.issuer, audience: options.audience, jwksUri: options.jwksUri });
  let baseUrl = options.publicUrl ?? '';

  source.watch(
    () => {
      logger.info(`policy file changed; telling ${hub.size} connected client(s)`);
      hub.broadcast('changed', { at: new Date().toISOString() });
    },
    (error) => logger.error(`policy file change ignored, still serving the previous version: ${error.message}`),
  );

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const authenticate = requireBearer(verify);

  app.get('/.well-known/gatehouse', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(discoveryDocument(options, baseUrl));
  });

  app.get('/policy', authenticate, (req, res) => {
    const served = source.select(res.locals.claims as JWTPayload);
    res.set({ ETag: served.etag, 'Cache-Control': 'private, no-cache', Vary: 'Authorization' });
    if (etagMatches(req.get('if-none-match'), served.etag)) {
      res.status(304).end();
      return;
    }
    res.type(served.contentType).send(served.body);
  });

  app.get('/policy/events', authenticate, (req, res) => hub.handle(req, res));

  const secretsFile = options.secretsFile;
  if (secretsFile) {
    app.get('/policy/secrets', authenticate, (_req, res) => {
      const claims = res.locals.claims as JWTPayload;
      readSecretsFile(secretsFile).then(
        (secrets) => {
          const served = source.select(claims);
          res.set({ 'Cache-Control': 'no-store', Vary: 'Authorization' });
          res.json({ secrets: secretsForUser(served.policy, claims, secrets) });
        },
        (error: Error) => {
          logger.error(error.message);
          res.status(503).json({ error: 'unavailable', message: 'The org secrets cannot be read right now.' });
        },
      );
    });
  }
  // A changed secret reaches laptops like a changed policy: they fetch again on the push.
  const unwatchSecrets = secretsFile
    ? watchSecretsFile(secretsFile, () => hub.broadcast('changed', { at: new Date().toISOString() }))
    : () => {};

  if (options.auditHandler) app.post('/audit', authenticate, options.auditHandler);

  const server = await listen(app, options.host ?? '127.0.0.1', options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  baseUrl ||= url;

  return {
    url,
    port,
    pushClients: () => hub.size,
    reload: async () => {
      const changed = await source.reload();
      if (changed) hub.broadcast('changed', { at: new Date().toISOString() });
      return changed;
    },
    async close() {
      source.close();
      unwatchSecrets();
      hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function discoveryDocument(options: OrgServerOptions, baseUrl: string): Partial<OrgConfig> {
  const audience = Array.isArray(options.audience) ? options.audience[0] : options.audience;
  return {
    ...(options.orgName ? { orgName: options.orgName } : {}),
    issuer: options.issuer,
    ...(options.clientId ? { clientId: options.clientId } : {}),
    policyEndpoint: `${baseUrl}/policy`,
    ...(audience ? { policyResource: audience } : {}),
    ...(options.signingKey ? { signingKeys: [options.signingKey.publicJwk], requirePolicySignature: true } : {}),
    ...(options.auditHandler ? { auditEndpoint: `${baseUrl}/audit` } : {}),
    ...(options.contact ? { contact: options.contact } : {}),
  } as Partial<OrgConfig>;
}

function requireBearer(verify: TokenVerifier): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match) {
      res
        .set('WWW-Authenticate', 'Bearer')
        .status(401)
        .json({ error: 'unauthorized', message: 'Sign in to Gatehouse: this endpoint needs your access token.' });
      return;
    }
    verify(match[1]!).then(
      (claims) => {
        res.locals.claims = claims;
        next();
      },
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        if (!isTokenFault(error)) {
          // The IdP's keys could not be fetched: our problem, not the caller's token.
          res.status(503).json({ error: 'unavailable', message: `Cannot check access tokens right now: ${reason}` });
          return;
        }
        res
          .set('WWW-Authenticate', `Bearer error="invalid_token", error_description="${reason.replace(/["\\]/g, "'")}"`)
          .status(401)
          .json({ error: 'invalid_token', message: `The access token was refused: ${reason}` });
      },
    );
  };
}

const TOKEN_FAULTS = new Set([
  'ERR_JWT_EXPIRED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
]);

function isTokenFault(error: unknown): boolean {
  return error instanceof joseErrors.JOSEError && TOKEN_FAULTS.has(error.code);
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || value.replace(/^W\//, '') === etag;
  });
}

function listen(app: express.Express, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
  });
}

import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import { readPolicyCache, writePolicyCache } from './cache.ts';
import { decodePolicyBody } from './decode.ts';
import type { DecodedPolicy } from './decode.ts';
import { PolicyError } from './errors.ts';
import { readPolicyBody } from './read-limited.ts';
import { EventStreamError, readEventStream } from './event-stream.ts';
import type { PolicyDocument } from './schema.ts';
import { POLICY_JWS_MEDIA_TYPE } from './signature.ts';

export type PolicySyncState = 'ok' | 'stale' | 'error' | 'none';

export type PolicySyncStatus = {
  /**
   * ok: a policy is in force and the last fetch confirmed it. error: a policy is in force, within
   * its staleness bound, but the last fetch failed or was rejected (lastError says why). stale: the
   * policy in force is older than its bound: fail closed. none: there is no policy at all.
   */
  state: PolicySyncState;
  version: string | null;
  /** When the endpoint last confirmed the policy in force (200 or 304), ISO 8601. */
  fetchedAt: string | null;
  ageSeconds: number | null;
  lastError: string | null;
  staleAfterSeconds: number | null;
  signed: boolean;
  pushConnected: boolean;
};

export type PolicyChange = { version: string; source: 'network' | 'cache'; signed: boolean };

export type PolicySyncLogger = { info(message: string): void; warn(message: string): void };

export type PolicySyncOptions = {
  /** URL of the policy document (GET with the user's bearer token). */
  endpoint: string;
  getAccessToken: () => Promise<string>;
  /** Org keys (public JWKs) a signed policy is checked against, from the managed config. */
  signingKeys?: JWK[];
  /** Reject unsigned documents. */
  requireSignature?: boolean;
  /** Where the last-known-good policy is kept (the data dir). */
  cacheDir: string;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  now?: () => number;
  /** Polling is the fallback when the push channel is down. Default 5 minutes. */
  pollIntervalMs?: number;
  /** Open the SSE push channel (default true). */
  push?: boolean;
  /** Per-request timeout. Default 15 s. */
  requestTimeoutMs?: number;
  /** The push connection is dropped and reopened after this long without a byte. Default 60 s. */
  pushIdleTimeoutMs?: number;
  onChange?: (policy: PolicyDocument, change: PolicyChange) => void;
  onStatus?: (status: PolicySyncStatus) => void;
  /** The endpoint confirmed the policy in force (a 200 adopted or a 304), e.g. after a push. */
  onConfirmed?: (policy: PolicyDocument) => void;
  logger?: PolicySyncLogger;
};

export type PolicySync = {
  /** Loads the last-known-good policy, fetches once (awaited; never rejects), then polls and listens. */
  start(): Promise<void>;
  /** Fetches now. Calls during a fetch make one more fetch after it, so no change is missed. */
  refresh(): Promise<void>;
  /** The policy in force, stale or not: check status() before enforcing it. */
  current(): PolicyDocument | undefined;
  status(): PolicySyncStatus;
  stop(): Promise<void>;
};

/** A policy can be enforced while its state is ok or error; stale and none mean fail closed. */
export function isPolicyUsable(status: PolicySyncStatus): boolean {
  return status.state === 'ok' || status.state === 'error';
}

const DEFAULT_POLL_MS = 5 * 60_000;
const PUSH_RETRY_MAX_MS = 30_000;

export function createPolicySync(options: PolicySyncOptions): PolicySync {
  const fetchImpl = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? {
    info: (m) => console.info(`gatehouse policy: ${m}`),
    warn: (m) => console.warn(`gatehouse policy: ${m}`),
  };
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
  const decodeOptions = { signingKeys: options.signingKeys ?? [], requireSignature: options.requireSignature ?? false };

  let inForce: (DecodedPolicy & { hash: string; etag: string | null; confirmedAt: number }) | undefined;
  let lastError: string | null = null;
  let pushConnected = false;
  let stopped = false;
  let started = false;
  let inFlight: Promise<void> | undefined;
  let fetchAgain = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let staleTimer: NodeJS.Timeout | undefined;
  let lastEmitted = '';
  const stopController = new AbortController();
  let pushConnection: AbortController | undefined;
  let pushLoopDone: Promise<void> = Promise.resolve();

  function status(): PolicySyncStatus {
    if (!inForce) {
      return {
        state: 'none',
        version: null,
        fetchedAt: null,
        ageSeconds: null,
        lastError,
        staleAfterSeconds: null,
        signed: false,
        pushConnected,
      };
    }
    const ageSeconds = Math.max(0, Math.floor((now() - inForce.confirmedAt) / 1000));
    const bound = inForce.policy.staleAfterSeconds ?? null;
    const state: PolicySyncState = bound !== null && ageSeconds >= bound ? 'stale' : lastError ? 'error' : 'ok';
    return {
      state,
      version: inForce.policy.policyVersion,
      fetchedAt: new Date(inForce.confirmedAt).toISOString(),
      ageSeconds,
      lastError,
      staleAfterSeconds: bound,
      signed: inForce.signed,
      pushConnected,
    };
  }

  function emitStatus(): void {
    const current = status();
    const key = JSON.stringify([current.state, current.version, current.lastError, current.pushConnected]);
    scheduleStaleCheck();
    if (key === lastEmitted) return;
    lastEmitted = key;
    options.onStatus?.(current);
  }

  // Time alone turns a policy stale: wake up at the bound so onStatus reports it without a fetch.
  function scheduleStaleCheck(): void {
    clearTimeout(staleTimer);
    const bound = inForce?.policy.staleAfterSeconds;
    if (stopped || !inForce || bound === undefined) return;
    const due = inForce.confirmedAt + bound * 1000 - now();
    if (due <= 0) return;
    staleTimer = setTimeout(emitStatus, due + 5);
    staleTimer.unref();
  }

  function fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const keeps = inForce ? `the policy in force (${inForce.policy.policyVersion}) stays` : 'no policy is in force';
    if (message !== lastError) {
      const rejected =
        error instanceof PolicyError &&
        ['invalid_document', 'unsigned', 'bad_signature', 'rollback'].includes(error.code);
      logger.warn(
        `${rejected ? 'rejected the policy from' : 'could not update the policy from'} ${options.endpoint}: ${message}; ${keeps}.`,
      );
    }
    lastError = message;
  }

  async function adopt(
    decoded: DecodedPolicy,
    etag: string | null,
    confirmedAt: number,
    source: 'network' | 'cache',
  ): Promise<void> {
    if (inForce && decoded.signed && Date.parse(decoded.policy.issuedAt) < Date.parse(inForce.policy.issuedAt)) {
      throw new PolicyError(
        'rollback',
        `the signed policy ${decoded.policy.policyVersion} was issued ${decoded.policy.issuedAt}, before the one in force (${inForce.policy.issuedAt}); an old document may be replayed to undo a revocation`,
      );
    }
    const hash = createHash('sha256').update(decoded.payload).digest('hex');
    const changed = inForce?.hash !== hash;
    inForce = { ...decoded, hash, etag, confirmedAt };
    if (changed) {
      logger.info(
        `policy ${decoded.policy.policyVersion} is in force (from ${source === 'cache' ? 'the last-known-good copy' : options.endpoint}).`,
      );
      try {
        options.onChange?.(decoded.policy, { version: decoded.policy.policyVersion, source, signed: decoded.signed });
      } catch (error) {
        // A failing listener must not make a good document look rejected.
        logger.warn(`the policy change listener failed: ${errorText(error)}`);
      }
    }
  }

  async function persist(body: string): Promise<void> {
    if (!inForce) return;
    try {
      await writePolicyCache(options.cacheDir, {
        format: 1,
        endpoint: options.endpoint,
        etag: inForce.etag,
        confirmedAt: inForce.confirmedAt,
        body,
      });
    } catch (error) {
      // Enforcement does not depend on the disk copy; losing it only costs the next offline start.
      logger.warn(`could not save the last-known-good policy in ${options.cacheDir}: ${String(error)}`);
    }
  }

  let lastBody = '';

  async function fetchOnce(): Promise<void> {
    let token: string;
    try {
      token = await options.getAccessToken();
    } catch (cause) {
      fail(
        new PolicyError('no_token', `no access token to fetch the policy (sign in again): ${errorText(cause)}`, {
          cause,
        }),
      );
      return;
    }
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
      Accept: `${POLICY_JWS_MEDIA_TYPE}, application/json`,
    };
    if (inForce?.etag) headers['If-None-Match'] = inForce.etag;
    let response: Response;
    let body: string;
    try {
      const signal = AbortSignal.any([stopController.signal, AbortSignal.timeout(options.requestTimeoutMs ?? 15_000)]);
      response = await fetchImpl(options.endpoint, { headers, signal, cache: 'no-store' });
      body = await readPolicyBody(response);
    } catch (cause) {
      if (stopped) return;
      if (cause instanceof PolicyError) return fail(cause);
      fail(new PolicyError('unreachable', `the policy endpoint cannot be reached: ${errorText(cause)}`, { cause }));
      return;
    }
    if (response.status === 304 && inForce) {
      inForce.confirmedAt = now();
      lastError = null;
      await persist(lastBody);
      options.onConfirmed?.(inForce.policy);
      return;
    }
    if (response.status !== 200) {
      const hint =
        response.status === 401 || response.status === 403 ? ' (the endpoint refused the sign-in; sign in again)' : '';
      fail(new PolicyError('http_status', `the policy endpoint answered HTTP ${response.status}${hint}`));
      return;
    }
    try {
      const decoded = await decodePolicyBody(body, decodeOptions);
      await adopt(decoded, response.headers.get('etag'), now(), 'network');
    } catch (error) {
      fail(error);
      return;
    }
    lastError = null;
    lastBody = body;
    await persist(body);
    restartPushIfMoved();
    if (inForce) options.onConfirmed?.(inForce.policy);
  }

  function refresh(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (inFlight) {
      fetchAgain = true;
      return inFlight;
    }
    inFlight = (async () => {
      do {
        fetchAgain = false;
        await fetchOnce();
        emitStatus();
      } while (fetchAgain && !stopped);
    })().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  function schedulePoll(): void {
    if (stopped) return;
    // ±10 % jitter: thousands of laptops started by the same MDM push should not poll in lockstep.
    const delay = pollIntervalMs * (0.9 + Math.random() * 0.2);
    pollTimer = setTimeout(() => {
      void refresh().finally(schedulePoll);
    }, delay);
    pollTimer.unref();
  }

  function eventsUrl(): string {
    if (inForce?.policy.eventsUrl) return inForce.policy.eventsUrl;
    const url = new URL(options.endpoint);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/events`;
    return url.toString();
  }

  let connectedUrl: string | undefined;
  function restartPushIfMoved(): void {
    if (connectedUrl !== undefined && connectedUrl !== eventsUrl()) pushConnection?.abort();
  }

  async function pushLoop(): Promise<void> {
    let failures = 0;
    let lastPushError = '';
    while (!stopped) {
      pushConnection = new AbortController();
      const url = eventsUrl();
      connectedUrl = url;
      let retryMs: number;
      try {
        const token = await options.getAccessToken();
        await readEventStream({
          url,
          fetch: fetchImpl,
          headers: { Authorization: `Bearer ${token}` },
          signal: AbortSignal.any([stopController.signal, pushConnection.signal]),
          idleTimeoutMs: options.pushIdleTimeoutMs ?? 60_000,
          onOpen: () => {
            failures = 0;
            lastPushError = '';
            pushConnected = true;
            emitStatus();
            // A change may have landed while we were not listening.
            void refresh();
          },
          onEvent: () => void refresh(),
        });
        retryMs = 500;
      } catch (error) {
        if (stopped) break;
        const message = errorText(error);
        if (message !== lastPushError && !pushConnection.signal.aborted) {
          logger.info(
            `push channel ${url} unavailable (${message}); polling every ${Math.round(pollIntervalMs / 1000)} s until it is back.`,
          );
        }
        lastPushError = message;
        // An endpoint without a push channel: do not hammer it, the poll covers us.
        const absent = error instanceof EventStreamError && (error.status === 404 || error.status === 405);
        retryMs = absent ? pollIntervalMs : Math.min(PUSH_RETRY_MAX_MS, 500 * 2 ** failures++);
      }
      if (pushConnected) {
        pushConnected = false;
        emitStatus();
      }
      await sleep(
        pushConnection.signal.aborted && !stopped ? 0 : retryMs * (0.8 + Math.random() * 0.4),
        stopController.signal,
      );
    }
  }

  async function loadCache(): Promise<void> {
    const entry = await readPolicyCache(options.cacheDir, options.endpoint);
    if (!entry) return;
    try {
      const decoded = await decodePolicyBody(entry.body, decodeOptions);
      await adopt(decoded, entry.etag, entry.confirmedAt, 'cache');
      lastBody = entry.body;
    } catch (error) {
      logger.warn(`ignored the last-known-good policy in ${options.cacheDir}: ${errorText(error)}`);
    }
  }

  return {
    async start() {
      if (started) throw new Error('createPolicySync: start() was already called');
      started = true;
      await loadCache();
      emitStatus();
      await refresh();
      schedulePoll();
      if (options.push !== false) pushLoopDone = pushLoop();
    },
    refresh,
    current: () => inForce?.policy,
    status,
    async stop() {
      stopped = true;
      stopController.abort();
      clearTimeout(pollTimer);
      clearTimeout(staleTimer);
      await Promise.allSettled([inFlight, pushLoopDone]);
    },
  };
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause =
      error.cause instanceof Error && !error.message.includes(error.cause.message) ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

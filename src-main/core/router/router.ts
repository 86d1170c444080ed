import {
  ErrorCode,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type RequestId,
} from '../jsonrpc/messages.ts';
import type { CallContext, ListKind, UpstreamConnection, UpstreamPool } from '../upstream/index.ts';
import { allowAll, type AccessControl } from './access.ts';
import { Aggregate } from './aggregate.ts';
import { DownstreamSession, type DownstreamChannel, type RequestDone, type Scope } from './session.ts';

type RelatedContext = CallContext & { session?: DownstreamSession; requestId?: RequestId };

const CAPABILITY_FOR: Record<string, string> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

/**
 * The session router: it owns the AI client sessions and routes what upstream servers send
 * (progress, logs, list changes, sampling/elicitation/roots requests) to the right session.
 */
export class Router {
  readonly pool: UpstreamPool;
  readonly aggregate: Aggregate;
  readonly version: string;
  access: AccessControl;
  private readonly sessions = new Set<DownstreamSession>();
  private readonly onRequestDone: (done: RequestDone, beforeAnswer: boolean) => void;
  /** Read per request: an org policy can switch it (auditRequired). */
  readonly recordBeforeAnswer: () => boolean;
  private readonly flushDeferred: () => void;
  private readonly hasDeferred: () => boolean;
  private flushScheduled = false;

  constructor(options: {
    pool: UpstreamPool;
    version: string;
    access?: AccessControl;
    /** `beforeAnswer`: the answer waits for it (recordBeforeAnswer); else it comes right after the answer. */
    onRequestDone?: (done: RequestDone, beforeAnswer: boolean) => void;
    /** Whether `onRequestDone` runs before the answer is written (default) or right after it. */
    recordBeforeAnswer?: () => boolean;
    /**
     * Work the observers put off (the audit's pending record, AuditLog.appendSoon): done while the
     * gateway waits on a server and before every answer (see waitingOnServer).
     */
    flushDeferred?: () => void;
    /** Whether there is deferred work (so an idle moment is not scheduled for nothing). */
    hasDeferred?: () => boolean;
  }) {
    this.pool = options.pool;
    this.version = options.version;
    this.access = options.access ?? allowAll;
    this.onRequestDone = options.onRequestDone ?? (() => {});
    this.recordBeforeAnswer = options.recordBeforeAnswer ?? (() => true);
    this.flushDeferred = options.flushDeferred ?? (() => {});
    const deferring = options.flushDeferred !== undefined;
    this.hasDeferred = options.hasDeferred ?? (() => deferring);
    this.aggregate = new Aggregate(this);
  }

  createSession(options: {
    id: string;
    scope: Scope;
    localClientId: string;
    channel: DownstreamChannel;
  }): DownstreamSession {
    const session = new DownstreamSession({ ...options, router: this });
    this.sessions.add(session);
    return session;
  }

  sessionClosed(session: DownstreamSession): void {
    this.sessions.delete(session);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  requestDone(done: RequestDone, beforeAnswer: boolean): void {
    try {
      this.onRequestDone(done, beforeAnswer);
    } catch {
      // Observers (audit, UI) must never break a call.
    }
  }

  /**
   * A request is on its way to a server: the observers' deferred work runs now, once the request
   * is written (setImmediate), while the server works on it. Building and writing the audit record
   * of a 100 KB result takes ~0.5 ms; right after its answer it held up a client's next call.
   */
  waitingOnServer(): void {
    if (this.flushScheduled || !this.hasDeferred()) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.runDeferred();
    });
  }

  /** Deferred work is done before an answer goes out, so at most one answered call is ever unrecorded. */
  beforeAnswer(): void {
    this.runDeferred();
  }

  private runDeferred(): void {
    try {
      this.flushDeferred();
    } catch {
      // as requestDone
    }
  }

  /**
   * A server asks the client something. Over Streamable HTTP we know which call it belongs to;
   * over stdio we pick the session with the most recent call in flight to that server, else the
   * most recently active session that can answer.
   */
  async onServerRequest(
    connection: UpstreamConnection,
    request: JsonRpcRequest,
    related: RelatedContext | undefined,
  ): Promise<{ result: Record<string, unknown> } | { error: { code: number; message: string; data?: unknown } }> {
    const session = related?.session ?? this.pickSession(connection.name, CAPABILITY_FOR[request.method]);
    if (!session) {
      return {
        error: {
          code: ErrorCode.MethodNotFound,
          message: `No AI client session connected to Gatehouse can answer '${request.method}'.`,
        },
      };
    }
    const answer: JsonRpcResponse = await session.requestClient(
      request,
      related?.requestId ?? this.latestCall(session, connection.name),
      connection.name,
    );
    return 'result' in answer ? { result: answer.result } : { error: answer.error };
  }

  private latestCall(session: DownstreamSession, server: string): RequestId | undefined {
    let latest: { id: RequestId; at: number } | undefined;
    for (const [id, call] of session.inFlight) {
      if (call.server === server && (!latest || call.startedAt >= latest.at)) latest = { id, at: call.startedAt };
    }
    return latest?.id;
  }

  private pickSession(server: string, capability: string | undefined): DownstreamSession | undefined {
    let best: { session: DownstreamSession; at: number } | undefined;
    for (const session of this.sessions) {
      if (!session.attachedTo(server)) continue;
      for (const call of session.inFlight.values()) {
        if (call.server === server && (!best || call.startedAt >= best.at)) best = { session, at: call.startedAt };
      }
    }
    if (best) return best.session;
    let recent: DownstreamSession | undefined;
    for (const session of this.sessions) {
      if (!session.attachedTo(server) || (capability && !(capability in session.clientCapabilities))) continue;
      if (!recent || session.lastActivity >= recent.lastActivity) recent = session;
    }
    return recent;
  }

  onNotification(
    connection: UpstreamConnection,
    notification: JsonRpcNotification,
    related: RelatedContext | undefined,
  ): void {
    const server = connection.name;
    if (notification.method.endsWith('/list_changed')) return; // the pool refreshes, then onServerChanged tells sessions
    if (related?.session) {
      related.session.send(notification, related.requestId);
      return;
    }
    if (notification.method === 'notifications/resources/updated') {
      const uri = notification.params?.uri;
      for (const session of this.sessions) {
        if (
          typeof uri === 'string' &&
          (session.subscriptions.get(uri) === server ||
            (session.scope.kind === 'server' && session.scope.name === server))
        ) {
          session.send(notification);
        }
      }
      return;
    }
    for (const session of this.sessions) if (session.attachedTo(server)) session.send(notification);
  }

  /** Lists changed (server refreshed, toggled, or policy changed): tell the sessions that see them. */
  onServerChanged(
    server: string | undefined,
    what: 'lists' | 'state',
    kinds: ListKind[] = ['tools', 'prompts', 'resources'],
  ): void {
    if (what !== 'lists') return;
    for (const session of this.sessions) {
      if (server !== undefined && !session.attachedTo(server)) continue;
      for (const kind of kinds) {
        session.send({ jsonrpc: '2.0', method: `notifications/${kind}/list_changed` });
      }
    }
  }

  closeAll(): void {
    for (const session of [...this.sessions]) session.close();
  }
}

import { once } from 'node:events';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { buildRecord, toMs } from './build-record.ts';
import { recordLine } from './canonical.ts';
import { AuditError } from './errors.ts';
import type { AuditExportFormat } from './export.ts';
import { csvHeader, csvRow, jsonlRow } from './export.ts';
import type { AuditMetrics } from './metrics.ts';
import { RollingMetrics } from './metrics.ts';
import type { AuditFilter, AuditPage, AuditQuery, Position } from './query.ts';
import { findRecords, queryPage } from './query.ts';
import type { AuditRecord, AuditRecordInput } from './record.ts';
import { AUDIT_OUTCOMES } from './record.ts';
import type { RedactionConfig, RedactionRules } from './redaction.ts';
import { compileRedactionRules, KnownSecrets, redactionLevelFor } from './redaction.ts';
import { outcomeName } from './segment-index.ts';
import type { StoreLimits, StoreRecovery } from './segment-store.ts';
import { SegmentStore } from './segment-store.ts';
import { createUlidGenerator } from './ulid.ts';
import type { VerifyResult } from './verify.ts';
import { verifyAuditDir } from './verify.ts';

const DAY = 24 * 60 * 60 * 1000;
const MIB = 1024 * 1024;

export const DEFAULT_AUDIT_LIMITS: StoreLimits = {
  maxSegmentBytes: 16 * MIB,
  maxSegmentAgeMs: DAY,
  maxAgeMs: 90 * DAY,
  maxBytes: 1024 * MIB,
};

export type AuditRetention = { maxAgeMs?: number; maxBytes?: number };

export type AuditLogOptions = {
  /** The audit folder itself (the gateway uses `auditDirIn(dataDir)`, i.e. `<dataDir>/audit`). */
  dir: string;
  redaction?: RedactionConfig;
  now?: () => number;
  /** Open without the writer lock to read a log another process writes (the CLI). */
  readOnly?: boolean;
  retention?: AuditRetention;
  segments?: { maxBytes?: number; maxAgeMs?: number };
  /** How often written records are fsynced (ms); 1000 when absent, 0 to sync only on flush/close. */
  syncIntervalMs?: number;
  /** Records waiting for the disk beyond this are dropped (and counted) instead of growing memory. */
  maxQueuedRecords?: number;
  /** How often a read-only log looks for new records while someone is subscribed (ms). */
  pollIntervalMs?: number;
};

export type AuditLogStatus = {
  dir: string;
  readOnly: boolean;
  segments: number;
  records: number;
  bytes: number;
  maxBytes: number;
  queued: number;
  /** Records not written because the disk failed for longer than the queue could hold. */
  droppedOnWrite: number;
  /** Records deleted by the size limit before every sink had shipped them. */
  droppedUnshipped: number;
  writeError?: string;
  recovered: StoreRecovery;
};

export type AuditRecordListener = (record: AuditRecord) => void;

/** The folder the audit log lives in, inside the app's data folder. */
export const auditDirIn = (dataDir: string): string => path.join(dataDir, 'audit');

export async function openAuditLog(options: AuditLogOptions): Promise<AuditLog> {
  const now = options.now ?? Date.now;
  const limits = resolveLimits(options);
  const rules = compileRedactionRules(options.redaction ?? {});
  const store = await SegmentStore.open({
    dir: options.dir,
    readOnly: options.readOnly ?? false,
    limits,
    now,
    syncIntervalMs: options.syncIntervalMs ?? 1000,
  });
  return new AuditLog(store, options, now, rules);
}

function resolveLimits(options: AuditLogOptions): StoreLimits {
  const positive = (value: number | undefined, fallback: number, what: string): number => {
    if (value === undefined) return fallback;
    if (!(value > 0)) throw new AuditError('AUDIT_BAD_INPUT', `${what} must be a positive number, not ${value}.`);
    return value;
  };
  return {
    maxSegmentBytes: positive(options.segments?.maxBytes, DEFAULT_AUDIT_LIMITS.maxSegmentBytes, 'segments.maxBytes'),
    maxSegmentAgeMs: positive(options.segments?.maxAgeMs, DEFAULT_AUDIT_LIMITS.maxSegmentAgeMs, 'segments.maxAgeMs'),
    maxAgeMs: positive(options.retention?.maxAgeMs, DEFAULT_AUDIT_LIMITS.maxAgeMs, 'retention.maxAgeMs'),
    maxBytes: positive(options.retention?.maxBytes, DEFAULT_AUDIT_LIMITS.maxBytes, 'retention.maxBytes'),
  };
}

/** The longest appendSoon holds a record when nothing else writes it first. */
const PENDING_MS = 2;

/**
 * The audit log: `append` is synchronous and cheap (redact, hash, one write(2) into the page cache);
 * fsync and sealing full segments run in the background; queries, live subscription, verification,
 * metrics and export read from there. Records reach subscribers once they are in the file.
 */
export class AuditLog {
  /** The storage underneath; for the audit module's own outbox, not for callers. */
  readonly store: SegmentStore;
  readonly dir: string;
  readonly readOnly: boolean;

  private readonly now: () => number;
  private readonly nextId: () => string;
  private readonly secrets = new KnownSecrets();
  private readonly rollingMetrics = new RollingMetrics();
  private readonly listeners = new Set<AuditRecordListener>();
  private readonly statusListeners = new Set<(status: AuditLogStatus) => void>();
  private readonly maxQueued: number;
  private readonly pollIntervalMs: number;
  private redaction: RedactionConfig;
  private rules: RedactionRules;
  private droppedOnWrite = 0;
  private droppedUnshipped = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<unknown> | undefined;
  private closing: Promise<void> | undefined;
  /** The record appendSoon holds (never more than one), made before any other append or read. */
  private pending: (() => AuditRecordInput) | undefined;
  private pendingTimer: NodeJS.Timeout | undefined;

  constructor(store: SegmentStore, options: AuditLogOptions, now: () => number, rules: RedactionRules) {
    this.store = store;
    this.dir = store.dir;
    this.readOnly = store.readOnly;
    this.now = now;
    this.nextId = createUlidGenerator(now);
    this.redaction = options.redaction ?? {};
    this.rules = rules;
    this.maxQueued = options.maxQueuedRecords ?? 100_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    store.subscribe({
      written: (records) => this.deliver(records),
      dropped: (dropped) => {
        this.droppedUnshipped += dropped.records;
        this.emitStatus();
      },
      writeError: () => this.emitStatus(),
    });
    this.rebuildMetrics();
  }

  /**
   * Records one request. Returns with the stored record (id, redacted params, hash) once its line
   * is in the file (write(2), no fsync), so it survives a kill of the process; only while the disk
   * is failing does it wait in memory for the retry (see `status().writeError`). Throws only for a
   * programming error (closed log, unknown outcome), never for I/O.
   */
  append(input: AuditRecordInput): AuditRecord {
    this.writePending(); // the chain keeps the order the calls were answered in
    if (this.readOnly)
      throw new AuditError(
        'AUDIT_READ_ONLY',
        'This audit log was opened read-only; open it without readOnly to append.',
      );
    if (this.closing) throw new AuditError('AUDIT_CLOSED', 'The audit log is closed.');
    if (!AUDIT_OUTCOMES.includes(input.outcome)) {
      throw new AuditError(
        'AUDIT_BAD_INPUT',
        `Unknown audit outcome ${JSON.stringify(input.outcome)}; use one of ${AUDIT_OUTCOMES.join(', ')}.`,
      );
    }
    const now = this.now();
    const level = redactionLevelFor(this.redaction, input.server, input.name);
    const built = buildRecord(input, this.nextId(), now, level, this.rules, this.store.lastHash);
    const unhashed = this.secrets.maskDeep(built);
    const { line, hash } = recordLine(unhashed);
    const record = unhashed as AuditRecord;
    record.hash = hash;
    if (this.store.queuedRecords >= this.maxQueued) {
      // The disk has been failing for a long time: keep memory bounded, keep the chain intact
      // (this record never joins it), and say so in the status.
      this.droppedOnWrite++;
      this.emitStatus();
      return record;
    }
    this.store.lastHash = hash;
    const strings = this.store.strings;
    const startedAt = Math.floor(toMs(input.startedAt));
    this.store.enqueue({
      line,
      record,
      fields: {
        startedAt,
        totalMs: record.latency.totalMs,
        server: strings.intern(record.server),
        name: strings.intern(record.name),
        method: strings.intern(record.method),
        outcome: AUDIT_OUTCOMES.indexOf(record.outcome),
        clientName: strings.intern(record.client.name),
        clientToken: strings.intern(record.client.localTokenId),
      },
    });
    this.rollingMetrics.add(
      startedAt,
      record.server,
      record.name ?? record.method,
      record.outcome,
      record.latency.totalMs,
    );
    return record;
  }

  /**
   * Records a call a moment later: `input` is built (a large result parsed for its summary) and the
   * record masked, hashed and written when the caller next waits anyway (writePending), at the
   * next append, or PENDING_MS later, whichever comes first. At most one record is ever pending
   * (another appendSoon writes the one before), so a kill -9 loses at most that one; every read
   * of the log (query, export, verify, metrics, status, flush, close) writes it first. Errors
   * while building or writing are the log's to report (status), never the caller's.
   */
  appendSoon(input: () => AuditRecordInput): void {
    this.writePending();
    this.pending = input;
    // One timer, re-armed per record (cheaper than a new one per call); firing with nothing pending does nothing.
    if (this.pendingTimer) this.pendingTimer.refresh();
    else this.pendingTimer = setTimeout(() => this.writePending(), PENDING_MS).unref();
  }

  /** Whether appendSoon holds a record. */
  get hasPending(): boolean {
    return this.pending !== undefined;
  }

  /** Writes the record appendSoon holds, if any. */
  writePending(): void {
    const input = this.pending;
    if (!input) return;
    this.pending = undefined;
    try {
      this.append(input());
    } catch {
      // A closed log or a failing disk: the log's status says so; the call was answered already.
    }
  }

  /**
   * A value the gateway holds (local client token, injected credential, access token): masked in
   * every record from now on, at every redaction level. Values shorter than 8 characters are not
   * masked (returns false), because they would match ordinary text.
   */
  registerSecret(value: string): boolean {
    return this.secrets.add(value);
  }

  /** New redaction settings (a policy update); applies to records appended from now on. */
  setRedaction(config: RedactionConfig): void {
    this.rules = compileRedactionRules(config);
    this.redaction = config;
  }

  /** New retention limits (a policy update); applied at once. */
  async setRetention(retention: AuditRetention): Promise<void> {
    const limits = resolveLimits({ dir: this.dir, retention });
    this.store.limits = { ...this.store.limits, maxAgeMs: limits.maxAgeMs, maxBytes: limits.maxBytes };
    await this.store.applyRetention();
  }

  async query(query: AuditQuery = {}): Promise<AuditPage> {
    await this.catchUp();
    return queryPage(this.store, query);
  }

  /** Every matching record, oldest first (or newest first), read page by page. */
  async *records(filter: AuditFilter = {}, order: 'asc' | 'desc' = 'asc'): AsyncGenerator<AuditRecord> {
    await this.catchUp();
    let after: Position | undefined;
    for (;;) {
      const { items, more } = await findRecords(this.store, filter, { order, limit: 1000, after });
      for (const item of items) yield item.record;
      const last = items.at(-1);
      if (!more || !last) return;
      after = last.at;
    }
  }

  /** Writes every matching record, oldest first, as JSON Lines or CSV; returns how many. */
  async export(out: Writable, options: { format: AuditExportFormat; filter?: AuditFilter }): Promise<number> {
    const write = async (chunk: string): Promise<void> => {
      if (!out.write(chunk)) await once(out, 'drain');
    };
    if (options.format === 'csv') await write(csvHeader());
    let count = 0;
    for await (const record of this.records(options.filter ?? {}, 'asc')) {
      await write(options.format === 'csv' ? csvRow(record) : jsonlRow(record));
      count++;
    }
    return count;
  }

  /**
   * Calls `listener` with each new record once it is on disk, in order. In a read-only log the
   * files are polled while anyone is subscribed. Returns the unsubscribe function.
   */
  subscribe(listener: AuditRecordListener): () => void {
    this.listeners.add(listener);
    if (this.readOnly && !this.pollTimer) {
      this.pollTimer = setInterval(() => {
        this.polling ??= this.store
          .refresh()
          .catch(() => undefined)
          .finally(() => (this.polling = undefined));
      }, this.pollIntervalMs);
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.pollTimer) {
        clearInterval(this.pollTimer);
        this.pollTimer = undefined;
      }
    };
  }

  /** Re-reads every segment and checks the hash chain; reports the first broken link. */
  async verify(): Promise<VerifyResult> {
    await this.catchUp();
    return verifyAuditDir(this.dir);
  }

  metrics(): AuditMetrics {
    this.writePending();
    return this.rollingMetrics.snapshot(this.now());
  }

  /** Why records cannot be written now (disk full, read-only), if they cannot; cheap enough per call. */
  writeFailure(): string | undefined {
    return this.store.lastWriteError?.message;
  }

  status(): AuditLogStatus {
    this.writePending();
    const status: AuditLogStatus = {
      dir: this.dir,
      readOnly: this.readOnly,
      segments: this.store.segments.length,
      records: this.store.segments.reduce((sum, segment) => sum + segment.index.count, 0),
      bytes: this.store.totalBytes,
      maxBytes: this.store.limits.maxBytes,
      queued: this.store.queuedRecords,
      droppedOnWrite: this.droppedOnWrite,
      droppedUnshipped: this.droppedUnshipped,
      recovered: { ...this.store.recovery },
    };
    if (this.store.lastWriteError) status.writeError = this.store.lastWriteError.message;
    return status;
  }

  /** Status changes the window should show: write failures, dropped records. */
  onStatus(listener: (status: AuditLogStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Waits until everything appended so far is on disk and fsynced. */
  async flush(): Promise<void> {
    this.writePending();
    if (!this.readOnly) await this.store.flush({ sync: true });
  }

  close(): Promise<void> {
    this.writePending();
    clearTimeout(this.pendingTimer);
    this.closing ??= (async () => {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
      this.listeners.clear();
      this.statusListeners.clear();
      await this.polling;
      await this.store.close();
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Writer: what is queued reaches the file. Reader: what the writer added since is indexed. */
  private async catchUp(): Promise<void> {
    this.writePending();
    if (this.readOnly) await this.store.refresh();
    else await this.store.flush();
  }

  private deliver(records: AuditRecord[]): void {
    if (this.readOnly) {
      for (const record of records) {
        this.rollingMetrics.add(
          Date.parse(record.startedAt),
          record.server,
          record.name ?? record.method,
          record.outcome,
          record.latency?.totalMs ?? 0,
        );
      }
    }
    for (const listener of this.listeners) {
      for (const record of records) {
        try {
          listener(record);
        } catch {
          // A failing subscriber (a closed window) must not stop the others or the writer.
        }
      }
    }
  }

  private emitStatus(): void {
    if (this.statusListeners.size === 0) return;
    const status = this.status();
    for (const listener of this.statusListeners) {
      try {
        listener(status);
      } catch {
        // as above
      }
    }
  }

  private rebuildMetrics(): void {
    const since = this.now() - DAY;
    const strings = this.store.strings;
    for (const segment of this.store.segments) {
      const index = segment.index;
      if (index.count === 0 || index.maxStartedAt < since) continue;
      for (let i = 0; i < index.count; i++) {
        const startedAt = index.startedAt[i]!;
        if (startedAt < since) continue;
        const name = strings.value(index.name[i]!) || strings.value(index.method[i]!);
        this.rollingMetrics.add(
          startedAt,
          strings.value(index.server[i]!),
          name,
          outcomeName(index.outcome[i]!),
          index.totalMs[i]!,
        );
      }
    }
  }
}

import fs from 'node:fs/promises';
import type { AuditLog } from './audit-log.ts';
import { AuditError, AuditSinkError } from './errors.ts';
import type { OutboxCursor } from './outbox-cursor.ts';
import { cursorFile, outboxDir, readCursor, writeCursor } from './outbox-cursor.ts';
import type { AuditRecord } from './record.ts';
import type { Segment } from './segment-store.ts';

/** Where records go: the org's HTTPS endpoint, an OpenTelemetry collector, or anything else. */
export type AuditSink = {
  /** Names the sink's cursor file: letters, digits, '.', '_' and '-'. */
  readonly name: string;
  /** Delivers a batch or throws (AuditSinkError); the batch is retried until it succeeds. */
  send(records: AuditRecord[], signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
};

export type OutboxState = 'idle' | 'sending' | 'retrying' | 'stopped';

export type OutboxStatus = {
  sink: string;
  state: OutboxState;
  /** Records delivered since the cursor was created. */
  delivered: number;
  /** Bytes of records waiting to be shipped. */
  pendingBytes: number;
  /** The audit folder's size limit: past it the oldest records go, shipped or not. */
  limitBytes: number;
  /** Records deleted by the size limit before they were shipped. */
  dropped: number;
  /** For the window: set while the backlog nears the limit, and once anything was dropped. */
  warning?: string;
  lastError?: string;
  /** Consecutive failed attempts. */
  failures: number;
  nextAttemptAt?: string;
  lastDeliveredAt?: string;
};

export type OutboxOptions = {
  log: AuditLog;
  sink: AuditSink;
  /**
   * Where a sink without a cursor starts: `end` ships only records appended from now on (records
   * written before the org was configured stay local), `start` everything still on disk.
   */
  startAt?: 'start' | 'end';
  batchRecords?: number;
  batchBytes?: number;
  backoff?: { initialMs?: number; maxMs?: number };
  /** Warn when the backlog reaches this share of the size limit; 0.8 when absent. */
  warnAtRatio?: number;
  random?: () => number;
  now?: () => number;
};

const SINK_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

/**
 * Ships the log to one sink, at least once: a cursor file per sink points into the segments (the
 * segments are the durable queue; nothing is copied), a batch is sent, and only then the cursor
 * moves. Offline, it retries with exponential backoff and jitter; the backlog stays on disk,
 * bounded by the log's size limit, with a warning in the status well before anything is dropped.
 */
export async function createOutbox(options: OutboxOptions): Promise<AuditOutbox> {
  if (!SINK_NAME.test(options.sink.name)) {
    throw new AuditError(
      'AUDIT_BAD_INPUT',
      `Sink name ${JSON.stringify(options.sink.name)} must be letters, digits, '.', '_' or '-'.`,
    );
  }
  if (options.log.readOnly)
    throw new AuditError('AUDIT_READ_ONLY', 'An outbox needs the audit log opened for writing.');
  const file = cursorFile(options.log.dir, options.sink.name);
  let cursor = await readCursor(file);
  if (!cursor) {
    await options.log.flush();
    const segments = options.log.store.segments;
    const edge = options.startAt === 'start' ? segments[0] : segments.at(-1);
    cursor = {
      version: 1,
      segment: edge?.number ?? 1,
      offset: options.startAt === 'start' || !edge ? 0 : edge.index.bytes,
      delivered: 0,
      dropped: 0,
    };
    await fs.mkdir(outboxDir(options.log.dir), { recursive: true, mode: 0o700 });
    await writeCursor(file, cursor);
  }
  const outbox = new AuditOutbox(options, file, cursor);
  outbox.start();
  return outbox;
}

export class AuditOutbox {
  private readonly log: AuditLog;
  private readonly sink: AuditSink;
  private readonly file: string;
  private cursor: OutboxCursor;
  private readonly batchRecords: number;
  private readonly batchBytes: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly warnAtRatio: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private batchLimit: number;
  private state: OutboxState = 'idle';
  private failures = 0;
  private lastError: string | undefined;
  private nextAttemptAt: number | undefined;
  private lastDeliveredAt: number | undefined;
  private droppedUnknown = false;
  private newData = false;
  private lastWarning: string | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly abort = new AbortController();
  private readonly unsubscribe: () => void;
  private readonly statusListeners = new Set<(status: OutboxStatus) => void>();

  constructor(options: OutboxOptions, file: string, cursor: OutboxCursor) {
    this.log = options.log;
    this.sink = options.sink;
    this.file = file;
    this.cursor = cursor;
    this.batchRecords = options.batchRecords ?? 500;
    this.batchBytes = options.batchBytes ?? 1024 * 1024;
    this.initialBackoffMs = options.backoff?.initialMs ?? 1000;
    this.maxBackoffMs = options.backoff?.maxMs ?? 5 * 60 * 1000;
    this.warnAtRatio = options.warnAtRatio ?? 0.8;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.batchLimit = this.batchRecords;
    this.unsubscribe = this.log.store.subscribe({
      written: () => {
        this.newData = true;
        // Only an idle outbox wakes for new records; one that is backing off keeps waiting.
        if (this.state === 'idle') this.wake?.();
        const warning = this.status().warning;
        if (warning !== this.lastWarning) this.emit();
      },
      dropped: () => this.emit(),
    });
  }

  start(): void {
    this.running ??= this.run();
  }

  status(): OutboxStatus {
    const pendingBytes = this.pendingBytes();
    const limitBytes = this.log.store.limits.maxBytes;
    const status: OutboxStatus = {
      sink: this.sink.name,
      state: this.state,
      delivered: this.cursor.delivered,
      pendingBytes,
      limitBytes,
      dropped: this.cursor.dropped,
      failures: this.failures,
    };
    const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
    if (this.cursor.dropped > 0 || this.droppedUnknown) {
      status.warning = `${this.cursor.dropped || 'Some'} audit records were deleted before they reached ${this.sink.name}: the audit folder hit its ${mib(limitBytes)} limit while the sink was unreachable.`;
    } else if (pendingBytes >= this.warnAtRatio * limitBytes) {
      status.warning = `${mib(pendingBytes)} of audit records are waiting for ${this.sink.name}; at ${mib(limitBytes)} the oldest will be deleted unshipped.${this.lastError ? ` Last error: ${this.lastError}` : ''}`;
    }
    if (this.lastError) status.lastError = this.lastError;
    if (this.nextAttemptAt !== undefined) status.nextAttemptAt = new Date(this.nextAttemptAt).toISOString();
    if (this.lastDeliveredAt !== undefined) status.lastDeliveredAt = new Date(this.lastDeliveredAt).toISOString();
    return status;
  }

  onStatus(listener: (status: OutboxStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Skips the current backoff wait (the network came back, the user pressed retry). */
  retryNow(): void {
    this.wake?.();
  }

  /**
   * Resolves once everything appended before the call is delivered; rejects after `timeoutMs`.
   * For shutdown and tests.
   */
  async drain(timeoutMs = 30_000): Promise<void> {
    await this.log.flush();
    const deadline = Date.now() + timeoutMs;
    while (this.pendingBytes() > 0 || this.state === 'sending') {
      if (this.stopped) throw new AuditError('AUDIT_CLOSED', `The outbox for ${this.sink.name} is stopped.`);
      if (Date.now() > deadline) {
        throw new AuditError(
          'AUDIT_SINK_FAILED',
          `Audit records did not reach ${this.sink.name} within ${timeoutMs} ms${this.lastError ? `: ${this.lastError}` : ''}.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops shipping (an in-flight batch is abandoned and resent next time); the cursor stays. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    this.unsubscribe();
    await this.running;
    this.state = 'stopped';
    this.emit();
    this.statusListeners.clear();
    await this.sink.close?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let batch: { records: AuditRecord[]; next: { segment: number; offset: number } } | undefined;
      this.newData = false;
      try {
        batch = await this.nextBatch();
      } catch (error) {
        await this.failed(error);
        continue;
      }
      if (this.stopped) break;
      if (!batch) {
        if (this.newData) continue;
        this.setState('idle');
        await this.sleep(Number.POSITIVE_INFINITY);
        continue;
      }
      if (batch.records.length === 0) {
        await this.advance(batch.next, []);
        continue;
      }
      this.setState('sending');
      try {
        await raceAbort(this.sink.send(batch.records, this.abort.signal), this.abort.signal);
      } catch (error) {
        if (this.stopped) break;
        if (error instanceof AuditSinkError && error.tooLarge && batch.records.length > 1) {
          this.batchLimit = Math.ceil(batch.records.length / 2);
          continue;
        }
        await this.failed(error);
        continue;
      }
      await this.advance(batch.next, batch.records);
      this.failures = 0;
      this.lastError = undefined;
      this.nextAttemptAt = undefined;
      this.lastDeliveredAt = this.now();
      this.batchLimit = Math.min(this.batchRecords, this.batchLimit * 2);
      this.emit();
    }
  }

  private async failed(error: unknown): Promise<void> {
    this.failures++;
    this.lastError = error instanceof Error ? error.message : String(error);
    const exponential = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(this.failures - 1, 30));
    // Equal jitter: at least half the backoff, so laptops waking together do not retry in step.
    let delay = exponential / 2 + (this.random() * exponential) / 2;
    if (error instanceof AuditSinkError && error.retryAfterMs !== undefined) {
      delay = Math.min(this.maxBackoffMs, Math.max(delay, error.retryAfterMs));
    }
    this.nextAttemptAt = this.now() + delay;
    this.setState('retrying');
    await this.sleep(delay);
    this.nextAttemptAt = undefined;
  }

  private async advance(next: { segment: number; offset: number }, records: AuditRecord[]): Promise<void> {
    const cursor: OutboxCursor = {
      ...this.cursor,
      segment: next.segment,
      offset: next.offset,
      delivered: this.cursor.delivered + records.length,
    };
    const last = records.at(-1);
    if (last) cursor.lastDeliveredId = last.id;
    await writeCursor(this.file, cursor);
    this.cursor = cursor;
  }

  /**
   * The next batch after the cursor, or undefined when everything written is shipped. Moves the
   * cursor past segments retention deleted (counting what was lost) and past finished segments.
   */
  private async nextBatch(): Promise<
    { records: AuditRecord[]; next: { segment: number; offset: number } } | undefined
  > {
    const store = this.log.store;
    for (;;) {
      const segments = store.segments;
      const first = segments[0];
      if (!first) return undefined;
      if (this.cursor.segment < first.number) {
        this.countDropped(first.number);
        await this.advance({ segment: first.number, offset: 0 }, []);
        this.emit();
        continue;
      }
      const segment = segments.find((candidate) => candidate.number === this.cursor.segment);
      if (!segment) {
        // The cursor points past the newest segment: the folder was emptied; start over with it.
        await this.advance({ segment: first.number, offset: 0 }, []);
        continue;
      }
      const index = segment.index;
      if (this.cursor.offset >= index.bytes) {
        const later = segments.find((candidate) => candidate.number > segment.number);
        if (!later) return undefined;
        return { records: [], next: { segment: later.number, offset: 0 } };
      }
      return this.readBatch(segment, this.cursor.offset);
    }
  }

  private async readBatch(
    segment: Segment,
    offset: number,
  ): Promise<{ records: AuditRecord[]; next: { segment: number; offset: number } }> {
    const index = segment.index;
    const from = index.positionOfOffset(offset);
    const positions: number[] = [];
    let bytes = 0;
    for (let i = from; i < index.count && positions.length < this.batchLimit; i++) {
      const length = index.length[i]!;
      if (positions.length > 0 && bytes + length > this.batchBytes) break;
      positions.push(i);
      bytes += length;
    }
    if (positions.length === 0) return { records: [], next: { segment: segment.number, offset: index.bytes } };
    const lines = await this.log.store.readLines(segment, positions);
    if (lines.includes(undefined)) {
      // Retention deleted the segment while it was being read: the next round counts what was lost.
      if (!this.log.store.segments.includes(segment)) return { records: [], next: { segment: segment.number, offset } };
      throw new AuditError('AUDIT_IO', `Cannot read ${segment.file} to ship it to ${this.sink.name}.`);
    }
    const records: AuditRecord[] = [];
    for (const line of lines) {
      if (line === undefined) continue;
      try {
        records.push(JSON.parse(line) as AuditRecord);
      } catch {
        // Damaged on disk: verify() reports it; shipping it would only make the receiver reject the batch.
      }
    }
    const last = positions.at(-1)!;
    return { records, next: { segment: segment.number, offset: index.offset[last]! + index.length[last]! } };
  }

  private countDropped(firstKept: number): void {
    let dropped = 0;
    for (let number = this.cursor.segment; number < firstKept; number++) {
      const info = this.log.store.droppedSegment(number);
      if (!info) {
        this.droppedUnknown = true;
        continue;
      }
      const from = number === this.cursor.segment ? this.cursor.offset : 0;
      for (const offset of info.offsets) if (offset >= from) dropped++;
    }
    this.cursor = { ...this.cursor, dropped: this.cursor.dropped + dropped };
  }

  private pendingBytes(): number {
    let pending = 0;
    for (const segment of this.log.store.segments) {
      if (segment.number > this.cursor.segment) pending += segment.index.bytes;
      else if (segment.number === this.cursor.segment) pending += Math.max(0, segment.index.bytes - this.cursor.offset);
    }
    return pending;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      // Unref'd: a sink that is backing off must not keep a process alive that is otherwise done.
      if (Number.isFinite(ms)) timer = setTimeout(done, ms).unref();
      this.wake = done;
    });
  }

  private setState(state: OutboxState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit();
  }

  private emit(): void {
    const status = this.status();
    this.lastWarning = status.warning;
    if (this.statusListeners.size === 0) return;
    for (const listener of this.statusListeners) {
      try {
        listener(status);
      } catch {
        // A failing status listener must not stop shipping.
      }
    }
  }
}

/** Settles with `promise` or rejects on abort; either way `promise` stays handled (no unhandled rejection later). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { GENESIS_HASH } from './canonical.ts';
import { AuditError } from './errors.ts';
import { acquireWriterLock } from './lock.ts';
import { oldestPinnedSegment } from './outbox-cursor.ts';
import type { AuditRecord } from './record.ts';
import type { IndexFields } from './segment-index.ts';
import { indexFieldsOf, SegmentIndex, StringTable } from './segment-index.ts';
import {
  fileSize,
  indexFileOf,
  listSegmentNumbers,
  readRange,
  segmentPath,
  splitLines,
  tornFileOf,
} from './segment-files.ts';
import { ulidTime } from './ulid.ts';

const fdatasync = promisify(fsSync.fdatasync);
const closeFd = promisify(fsSync.close);

export type StoreLimits = {
  /** A segment is closed and a new one started past this size. */
  maxSegmentBytes: number;
  /** ... or when its first record is this old. */
  maxSegmentAgeMs: number;
  /** Segments whose newest record is older are deleted (unless a sink still has to ship them). */
  maxAgeMs: number;
  /** The folder never holds more: the oldest segments go first, shipped or not. */
  maxBytes: number;
};

export type Segment = { number: number; file: string; index: SegmentIndex };

/** A record on its way to the file, with its line and index fields computed. */
export type PendingRecord = { line: string; fields: IndexFields; record: AuditRecord };

/** Segments deleted by retention before every sink had shipped them. */
export type DroppedSegment = { segment: number; records: number; offsets: Uint32Array };

export type StoreRecovery = { tornBytes: number; tornFile?: string; unreadableLines: number };

type StoreListener = {
  written?: (records: AuditRecord[]) => void;
  dropped?: (dropped: DroppedSegment) => void;
  writeError?: (error: AuditError) => void;
};

const MAX_BATCH_BYTES = 1 << 20;
const WRITE_RETRY_MS = 1000;
const READ_HANDLES = 8;
const RETENTION_INTERVAL_MS = 60 * 60 * 1000;
/** Offsets in the index are 32-bit; stay far below that. */
const SEGMENT_BYTES_CEILING = 1 << 30;

/**
 * The append-only segment files with their indexes: recovery on open, the writer,
 * rotation, retention, and positional reads for queries. One writer per folder (a lock file);
 * any number of read-only openers (the CLI), which never change a byte.
 */
export class SegmentStore {
  readonly dir: string;
  readonly readOnly: boolean;
  readonly strings = new StringTable();
  segments: Segment[] = [];
  lastHash = GENESIS_HASH;
  recovery: StoreRecovery = { tornBytes: 0, unreadableLines: 0 };
  limits: StoreLimits;
  lastWriteError: AuditError | undefined;

  private readonly now: () => number;
  private readonly syncIntervalMs: number;
  private releaseLock: (() => Promise<void>) | undefined;
  private queue: PendingRecord[] = [];
  private writeFd: number | undefined;
  private fileWork: Promise<void> = Promise.resolve();
  private readonly readHandles = new Map<number, Promise<FileHandle>>();
  private dirty = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly listeners = new Set<StoreListener>();
  private readonly droppedSegments = new Map<number, DroppedSegment>();
  private retentionRun: Promise<void> = Promise.resolve();
  private retentionTimer: NodeJS.Timeout | undefined;

  private constructor(dir: string, readOnly: boolean, limits: StoreLimits, now: () => number, syncIntervalMs: number) {
    this.dir = dir;
    this.readOnly = readOnly;
    this.limits = limits;
    this.now = now;
    this.syncIntervalMs = syncIntervalMs;
  }

  static async open(options: {
    dir: string;
    readOnly: boolean;
    limits: StoreLimits;
    now: () => number;
    syncIntervalMs: number;
  }): Promise<SegmentStore> {
    const store = new SegmentStore(options.dir, options.readOnly, options.limits, options.now, options.syncIntervalMs);
    if (!options.readOnly) {
      await fs.mkdir(options.dir, { recursive: true, mode: 0o700 });
      store.releaseLock = await acquireWriterLock(options.dir);
    }
    try {
      const numbers = await listSegmentNumbers(options.dir);
      for (const [i, number] of numbers.entries()) {
        store.segments.push(await store.loadSegment(number, i === numbers.length - 1));
      }
      store.lastHash = store.findLastHash();
      if (!options.readOnly) {
        await store.applyRetention();
        store.retentionTimer = setInterval(
          () => void store.applyRetention().catch(() => undefined),
          RETENTION_INTERVAL_MS,
        );
        store.retentionTimer.unref();
        if (options.syncIntervalMs > 0) {
          store.syncTimer = setInterval(() => void store.syncIfDirty(), options.syncIntervalMs);
          store.syncTimer.unref();
        }
      }
    } catch (error) {
      await store.releaseLock?.();
      throw error;
    }
    return store;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get queuedRecords(): number {
    return this.queue.length;
  }

  get totalBytes(): number {
    return this.segments.reduce((sum, segment) => sum + segment.index.bytes, 0);
  }

  droppedSegment(number: number): DroppedSegment | undefined {
    return this.droppedSegments.get(number);
  }

  // ---- writing ------------------------------------------------------------------------------

  enqueue(pending: PendingRecord): void {
    if (this.readOnly) throw new AuditError('AUDIT_READ_ONLY', 'This audit log was opened read-only.');
    if (this.closed) throw new AuditError('AUDIT_CLOSED', 'The audit log is closed.');
    this.queue.push(pending);
    // While the disk is failing the records wait for the retry timer, in order.
    if (!this.retryTimer) this.writeQueued();
  }

  /**
   * Writes every queued line now, in the caller's turn, with synchronous write(2)s into the page
   * cache (microseconds; fsync stays on its timer), opening or rotating the segment first when
   * needed. The gateway appends before a response goes out, so a call whose answer the client saw
   * has its record in the file whatever kills the process afterwards. On a failing disk the lines
   * stay queued, the error is reported, and a retry runs every second.
   */
  private writeQueued(): void {
    while (this.queue.length > 0) {
      // A batch ends where the segment would pass its size limit, so rotation happens on time.
      const room = this.segmentLimit() - (this.segments.at(-1)?.index.bytes ?? 0);
      const budget = Math.min(MAX_BATCH_BYTES, room > 0 ? room : this.segmentLimit());
      let bytes = 0;
      let count = 0;
      while (count < this.queue.length) {
        const next = this.queue[count]!.line.length;
        if (count > 0 && bytes + next > budget) break;
        bytes += next;
        count++;
      }
      const batch = this.queue.slice(0, count);
      try {
        this.writeBatch(batch);
      } catch (cause) {
        this.writeFailed(cause);
        return;
      }
      this.queue.splice(0, count);
      this.lastWriteError = undefined;
      const records = batch.map((pending) => pending.record);
      // Subscribers (live view, outbox) hear of them after append returns.
      queueMicrotask(() => {
        for (const listener of this.listeners) listener.written?.(records);
      });
    }
  }

  private writeFailed(cause: unknown): void {
    const error =
      cause instanceof AuditError
        ? cause
        : new AuditError(
            'AUDIT_IO',
            `Cannot write the audit log in ${this.dir} (${(cause as Error).message}); records are kept in memory and retried every second.`,
            { cause },
          );
    this.lastWriteError = error;
    for (const listener of this.listeners) listener.writeError?.(error);
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.writeQueued();
    }, WRITE_RETRY_MS);
    this.retryTimer.unref();
  }

  /** Waits until every record enqueued so far is written to the file (and synced with `sync`). */
  async flush(options: { sync?: boolean } = {}): Promise<void> {
    if (this.queue.length > 0) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.writeQueued();
      if (this.queue.length > 0 && this.lastWriteError) throw this.lastWriteError;
    }
    await this.fileWork;
    if (options.sync) await this.syncIfDirty();
  }

  private writeBatch(batch: PendingRecord[]): void {
    this.rotateIfNeeded();
    const active = this.segments.at(-1) ?? this.startSegment();
    const fd = this.openWriteFd(active);
    const buffer = Buffer.from(batch.map((pending) => pending.line).join(''));
    const start = active.index.bytes;
    try {
      let written = 0;
      while (written < buffer.length) written += fsSync.writeSync(fd, buffer, written, buffer.length - written);
    } catch (error) {
      // A half-written batch would leave a torn line in the middle of the file once the retry
      // succeeds: cut the file back to the last whole record first.
      try {
        fsSync.ftruncateSync(fd, start);
      } catch {
        // the retry truncates again
      }
      throw error;
    }
    let offset = start;
    for (const pending of batch) {
      const length = Buffer.byteLength(pending.line);
      active.index.push(pending.fields, pending.record.id, pending.record.hash, offset, length);
      offset += length;
    }
    this.dirty = true;
  }

  /** The full segment is sealed (synced, closed, its index written) in the background. */
  private rotateIfNeeded(): void {
    const active = this.segments.at(-1);
    if (!active || !this.rotationDue(active)) return;
    const fd = this.writeFd;
    const dirty = this.dirty;
    this.writeFd = undefined;
    this.dirty = false;
    this.startSegment();
    this.afterFileWork(async () => {
      if (fd !== undefined) {
        if (dirty) await fdatasync(fd);
        await closeFd(fd);
      }
      await this.writeIndexFile(active);
      await this.applyRetention();
    });
  }

  private rotationDue(active: Segment): boolean {
    if (active.index.count === 0) return false;
    const full = active.index.bytes >= this.segmentLimit();
    const old = this.now() - ulidTime(active.index.firstId ?? '') >= this.limits.maxSegmentAgeMs;
    return full || old;
  }

  private segmentLimit(): number {
    return Math.min(this.limits.maxSegmentBytes, SEGMENT_BYTES_CEILING);
  }

  private startSegment(): Segment {
    const number = (this.segments.at(-1)?.number ?? 0) + 1;
    const segment: Segment = { number, file: segmentPath(this.dir, number), index: new SegmentIndex() };
    this.segments.push(segment);
    return segment;
  }

  private openWriteFd(segment: Segment): number {
    this.writeFd ??= fsSync.openSync(segment.file, 'a', 0o600);
    return this.writeFd;
  }

  /**
   * Background work on file descriptors (syncs, closing a sealed segment) runs one step at a time,
   * so a descriptor is never closed while a sync on it is still in flight.
   */
  private afterFileWork(work: () => Promise<void>): Promise<void> {
    this.fileWork = this.fileWork.then(work).catch(() => undefined);
    return this.fileWork;
  }

  private syncIfDirty(): Promise<void> {
    return this.afterFileWork(async () => {
      const fd = this.writeFd;
      if (!this.dirty || fd === undefined) return;
      this.dirty = false;
      try {
        await fdatasync(fd);
      } catch {
        this.dirty = true;
      }
    });
  }

  private async writeIndexFile(segment: Segment): Promise<void> {
    if (this.readOnly || segment.index.count === 0) return;
    await writeFileAtomic(indexFileOf(segment.file), segment.index.serialize(this.strings), { mode: 0o600 });
  }

  // ---- retention ----------------------------------------------------------------------------

  /**
   * Deletes whole segments, oldest first, never the one being written. Past maxAgeMs a segment
   * goes only once every sink has shipped it; past maxBytes it goes regardless, and the sinks that
   * had not shipped it learn that records were dropped.
   */
  applyRetention(): Promise<void> {
    if (this.readOnly) return Promise.resolve();
    // Serialised: rotation and the hourly timer may both ask, and each run shifts segments off the front.
    this.retentionRun = this.retentionRun.then(
      () => this.retain(),
      () => this.retain(),
    );
    return this.retentionRun;
  }

  private async retain(): Promise<void> {
    const pinnedFrom = await oldestPinnedSegment(this.dir);
    let total = this.totalBytes;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const lastAt = oldest.index.lastId ? ulidTime(oldest.index.lastId) : Number.NEGATIVE_INFINITY;
      const expired = this.now() - lastAt > this.limits.maxAgeMs;
      const over = total > this.limits.maxBytes;
      if (!expired && !over) break;
      const pinned = oldest.number >= pinnedFrom;
      if (pinned && !over) break;
      let dropped: DroppedSegment | undefined;
      if (pinned) {
        // Recorded before the segment leaves the list: a sink that notices the gap counts from this.
        dropped = {
          segment: oldest.number,
          records: oldest.index.count,
          offsets: oldest.index.offset.slice(0, oldest.index.count),
        };
        this.droppedSegments.set(oldest.number, dropped);
      }
      await this.deleteSegment(oldest);
      total -= oldest.index.bytes;
      if (dropped) for (const listener of this.listeners) listener.dropped?.(dropped);
    }
  }

  private async deleteSegment(segment: Segment): Promise<void> {
    this.segments.shift();
    await this.closeReadHandle(segment.number);
    await fs.rm(segment.file, { force: true });
    await fs.rm(indexFileOf(segment.file), { force: true });
    await fs.rm(tornFileOf(segment.file), { force: true });
  }

  // ---- loading and recovery -----------------------------------------------------------------

  private async loadSegment(number: number, isLast: boolean): Promise<Segment> {
    const file = segmentPath(this.dir, number);
    const size = await fileSize(file);
    const loaded = await this.readIndexFile(file);
    // Only the newest segment grows after its index was written; any other size change (an edit)
    // means the offsets cannot be trusted: rebuild.
    const fits = loaded && (isLast ? loaded.bytes <= size : loaded.bytes === size);
    const index = fits ? loaded : new SegmentIndex();
    const segment = { number, file, index };
    const stale = index.bytes < size;
    if (stale) await this.indexTail(segment, size, isLast);
    // A sealed segment's index never changes afterwards: written once, when missing or stale.
    if (!this.readOnly && !isLast && (stale || index !== loaded)) await this.writeIndexFile(segment);
    return segment;
  }

  private async readIndexFile(file: string): Promise<SegmentIndex | undefined> {
    try {
      return SegmentIndex.deserialize(await fs.readFile(indexFileOf(file)), this.strings);
    } catch {
      return undefined;
    }
  }

  /**
   * Indexes the bytes past what the index covers. In the writer's last segment an unfinished
   * line (and any unparseable lines after the last good one) is a write cut short by a crash: it
   * is moved to the `.torn` file and the segment truncated, so the chain continues from the last
   * good record. Returns the records found, in order.
   */
  private async indexTail(segment: Segment, size: number, isLast: boolean): Promise<AuditRecord[]> {
    const start = segment.index.bytes;
    const tail = await readRange(segment.file, start, size - start);
    const { lines, rest } = splitLines(tail);
    const parsed: (AuditRecord | undefined)[] = lines.map(({ offset, length }) => {
      try {
        const value: unknown = JSON.parse(tail.toString('utf8', offset, offset + length - 1));
        return typeof value === 'object' && value !== null && typeof (value as AuditRecord).id === 'string'
          ? (value as AuditRecord)
          : undefined;
      } catch {
        return undefined;
      }
    });
    let usable = lines.length;
    const recovering = isLast && !this.readOnly;
    if (recovering) while (usable > 0 && parsed[usable - 1] === undefined) usable--;
    const records: AuditRecord[] = [];
    for (let i = 0; i < usable; i++) {
      const record = parsed[i];
      const { offset, length } = lines[i]!;
      if (!record) {
        this.recovery.unreadableLines++;
        segment.index.bytes = start + offset + length;
        continue;
      }
      segment.index.push(indexFieldsOf(record, this.strings), record.id, record.hash, start + offset, length);
      records.push(record);
    }
    const goodEnd = usable > 0 ? start + lines[usable - 1]!.offset + lines[usable - 1]!.length : start;
    segment.index.bytes = goodEnd;
    const tornBytes = size - goodEnd;
    if (recovering && tornBytes > 0) {
      const torn = await readRange(segment.file, goodEnd, tornBytes);
      const tornFile = tornFileOf(segment.file);
      await fs.appendFile(tornFile, torn, { mode: 0o600 });
      await fs.truncate(segment.file, goodEnd);
      this.recovery.tornBytes += tornBytes;
      this.recovery.tornFile = tornFile;
    } else if (!this.readOnly && !isLast && rest > 0) {
      // A sealed segment never ends mid-line; leave it for verify() to report rather than guess.
      this.recovery.unreadableLines++;
    }
    return records;
  }

  private findLastHash(): string {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const hash = this.segments[i]!.index.lastHash;
      if (hash) return hash;
    }
    return GENESIS_HASH;
  }

  /**
   * Read-only openers call this to see what the writer appended since: new lines in known
   * segments, new segments, and segments retention removed. Returns the new records in order.
   */
  async refresh(): Promise<AuditRecord[]> {
    const numbers = await listSegmentNumbers(this.dir);
    const present = new Set(numbers);
    for (const segment of this.segments.filter((s) => !present.has(s.number))) {
      await this.closeReadHandle(segment.number);
    }
    this.segments = this.segments.filter((segment) => present.has(segment.number));
    const known = new Map(this.segments.map((segment) => [segment.number, segment]));
    const fresh: AuditRecord[] = [];
    for (const number of numbers) {
      let segment = known.get(number);
      if (!segment) {
        if (this.segments.length > 0 && number < this.segments[0]!.number) continue;
        segment = { number, file: segmentPath(this.dir, number), index: new SegmentIndex() };
        this.segments.push(segment);
      }
      const size = await fileSize(segment.file);
      if (size > segment.index.bytes) fresh.push(...(await this.indexTail(segment, size, false)));
    }
    this.segments.sort((a, b) => a.number - b.number);
    if (fresh.length > 0) {
      this.lastHash = this.findLastHash();
      for (const listener of this.listeners) listener.written?.(fresh);
    }
    return fresh;
  }

  // ---- reading ------------------------------------------------------------------------------

  /**
   * The lines at `positions` of one segment (any order), read in as few calls as the gaps
   * between them allow. A line that cannot be read comes back undefined.
   */
  async readLines(segment: Segment, positions: number[]): Promise<(string | undefined)[]> {
    const { offset, length } = segment.index;
    const order = positions.map((position, slot) => ({ position, slot })).sort((a, b) => a.position - b.position);
    const out: (string | undefined)[] = new Array(positions.length).fill(undefined);
    let handle: FileHandle;
    try {
      handle = await this.readHandle(segment);
    } catch {
      return out;
    }
    let i = 0;
    while (i < order.length) {
      let j = i;
      const runStart = offset[order[i]!.position]!;
      let runEnd = runStart + length[order[i]!.position]!;
      while (j + 1 < order.length) {
        const next = order[j + 1]!.position;
        const nextStart = offset[next]!;
        if (nextStart - runEnd > 64 * 1024 || nextStart + length[next]! - runStart > 8 * MAX_BATCH_BYTES) break;
        runEnd = Math.max(runEnd, nextStart + length[next]!);
        j++;
      }
      const buffer = Buffer.alloc(runEnd - runStart);
      let read = 0;
      try {
        while (read < buffer.length) {
          const { bytesRead } = await handle.read(buffer, read, buffer.length - read, runStart + read);
          if (bytesRead === 0) break;
          read += bytesRead;
        }
      } catch {
        read = 0;
      }
      for (let k = i; k <= j; k++) {
        const { position, slot } = order[k]!;
        const from = offset[position]! - runStart;
        const to = from + length[position]! - 1;
        if (to < read) out[slot] = buffer.toString('utf8', from, to);
      }
      i = j + 1;
    }
    return out;
  }

  private readHandle(segment: Segment): Promise<FileHandle> {
    let handle = this.readHandles.get(segment.number);
    if (!handle) {
      if (this.readHandles.size >= READ_HANDLES) {
        const [oldest] = this.readHandles.keys();
        void this.closeReadHandle(oldest!);
      }
      handle = fs.open(segment.file, 'r');
      handle.catch(() => this.readHandles.delete(segment.number));
      this.readHandles.set(segment.number, handle);
    }
    return handle;
  }

  private async closeReadHandle(number: number): Promise<void> {
    const handle = this.readHandles.get(number);
    this.readHandles.delete(number);
    if (handle) await handle.then((h) => h.close()).catch(() => undefined);
  }

  // ---- closing ------------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.closed) return;
    let failure: unknown;
    if (!this.readOnly) {
      try {
        await this.flush({ sync: true });
      } catch (error) {
        failure = error;
      }
    }
    this.closed = true;
    clearInterval(this.syncTimer);
    clearTimeout(this.retryTimer);
    clearInterval(this.retentionTimer);
    await this.retentionRun.catch(() => undefined);
    try {
      await this.fileWork;
      if (this.writeFd !== undefined) {
        await closeFd(this.writeFd);
        this.writeFd = undefined;
      }
      const active = this.segments.at(-1);
      // The active segment's index lets the next open skip re-parsing it; a crash just costs a re-parse.
      if (active && !this.readOnly) await this.writeIndexFile(active);
    } finally {
      for (const number of [...this.readHandles.keys()]) await this.closeReadHandle(number);
      await this.releaseLock?.();
      this.listeners.clear();
    }
    if (failure) throw failure;
  }
}

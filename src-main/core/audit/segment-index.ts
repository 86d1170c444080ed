import { AUDIT_OUTCOMES } from './record.ts';
import type { AuditOutcome } from './record.ts';

/**
 * The query index: per segment, one typed-array column per filterable field, with strings
 * interned in one table shared by all segments. A million records take about 40 MB and a full
 * scan of the columns takes milliseconds, so filters never parse JSON; only the page that is
 * returned is read from disk, by byte offset.
 */
export class StringTable {
  private readonly ids = new Map<string, number>([['', 0]]);
  private readonly values: string[] = [''];

  intern(value: string | undefined): number {
    if (!value) return 0;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }

  /** The id of a string already seen, or -1: a filter on an unknown value matches nothing. */
  lookup(value: string): number {
    return this.ids.get(value) ?? -1;
  }

  value(id: number): string {
    return this.values[id] ?? '';
  }
}

export const outcomeCode = (outcome: AuditOutcome): number => AUDIT_OUTCOMES.indexOf(outcome);
export const outcomeName = (code: number): AuditOutcome => AUDIT_OUTCOMES[code] ?? 'ok';

/** The indexed fields of one record (strings already interned). */
export type IndexFields = {
  startedAt: number;
  totalMs: number;
  server: number;
  name: number;
  method: number;
  outcome: number;
  clientName: number;
  clientToken: number;
};

/** What a record line must carry to be indexed; anything else is ignored. */
type IndexableRecord = {
  id?: unknown;
  hash?: unknown;
  startedAt?: unknown;
  server?: unknown;
  name?: unknown;
  method?: unknown;
  outcome?: unknown;
  latency?: { totalMs?: unknown };
  client?: { name?: unknown; localTokenId?: unknown };
};

export function indexFieldsOf(record: IndexableRecord, strings: StringTable): IndexFields {
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const code = outcomeCode(record.outcome as AuditOutcome);
  return {
    startedAt: Date.parse(text(record.startedAt) ?? '') || 0,
    totalMs: Number(record.latency?.totalMs) || 0,
    server: strings.intern(text(record.server)),
    name: strings.intern(text(record.name)),
    method: strings.intern(text(record.method)),
    outcome: code < 0 ? 0 : code,
    clientName: strings.intern(text(record.client?.name)),
    clientToken: strings.intern(text(record.client?.localTokenId)),
  };
}

const U32_COLUMNS = ['server', 'name', 'method', 'clientName', 'clientToken', 'offset', 'length'] as const;
type U32Column = (typeof U32_COLUMNS)[number];
const INTERNED: readonly U32Column[] = ['server', 'name', 'method', 'clientName', 'clientToken'];

export class SegmentIndex {
  count = 0;
  /** Bytes of the segment file this index covers (always ends on a line boundary). */
  bytes = 0;
  minStartedAt = Number.POSITIVE_INFINITY;
  maxStartedAt = Number.NEGATIVE_INFINITY;
  firstId: string | undefined;
  lastId: string | undefined;
  lastHash: string | undefined;
  startedAt: Float64Array;
  totalMs: Float32Array;
  outcome: Uint8Array;
  server: Uint32Array;
  name: Uint32Array;
  method: Uint32Array;
  clientName: Uint32Array;
  clientToken: Uint32Array;
  offset: Uint32Array;
  length: Uint32Array;

  constructor(capacity = 1024) {
    this.startedAt = new Float64Array(capacity);
    this.totalMs = new Float32Array(capacity);
    this.outcome = new Uint8Array(capacity);
    this.server = new Uint32Array(capacity);
    this.name = new Uint32Array(capacity);
    this.method = new Uint32Array(capacity);
    this.clientName = new Uint32Array(capacity);
    this.clientToken = new Uint32Array(capacity);
    this.offset = new Uint32Array(capacity);
    this.length = new Uint32Array(capacity);
  }

  push(fields: IndexFields, id: string, hash: string, offset: number, length: number): void {
    if (this.count === this.startedAt.length) this.grow();
    const i = this.count++;
    this.startedAt[i] = fields.startedAt;
    this.totalMs[i] = fields.totalMs;
    this.outcome[i] = fields.outcome;
    this.server[i] = fields.server;
    this.name[i] = fields.name;
    this.method[i] = fields.method;
    this.clientName[i] = fields.clientName;
    this.clientToken[i] = fields.clientToken;
    this.offset[i] = offset;
    this.length[i] = length;
    if (fields.startedAt < this.minStartedAt) this.minStartedAt = fields.startedAt;
    if (fields.startedAt > this.maxStartedAt) this.maxStartedAt = fields.startedAt;
    this.firstId ??= id;
    this.lastId = id;
    this.lastHash = hash;
    this.bytes = offset + length;
  }

  /** Index of the first record that starts at or after `offset` (count when none). */
  positionOfOffset(offset: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.offset[mid] ?? 0) < offset) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private grow(): void {
    const capacity = Math.max(1024, this.startedAt.length * 2);
    const grown = (old: Float64Array | Float32Array | Uint8Array | Uint32Array) => {
      const next = new (old.constructor as new (n: number) => typeof old)(capacity);
      next.set(old);
      return next;
    };
    this.startedAt = grown(this.startedAt) as Float64Array;
    this.totalMs = grown(this.totalMs) as Float32Array;
    this.outcome = grown(this.outcome) as Uint8Array;
    for (const column of U32_COLUMNS) this[column] = grown(this[column]) as Uint32Array;
  }

  /**
   * The side file: magic, header length, JSON header (with this segment's own string table, so
   * files stay valid whatever order they are loaded in), then the columns.
   */
  serialize(strings: StringTable): Buffer {
    const local = new Map<number, number>();
    const table: string[] = [];
    const localColumns: Record<string, Uint32Array> = {};
    for (const column of INTERNED) {
      const values = new Uint32Array(this.count);
      const source = this[column];
      for (let i = 0; i < this.count; i++) {
        const globalId = source[i] ?? 0;
        let id = local.get(globalId);
        if (id === undefined) {
          id = table.length;
          table.push(strings.value(globalId));
          local.set(globalId, id);
        }
        values[i] = id;
      }
      localColumns[column] = values;
    }
    const header = Buffer.from(
      JSON.stringify({
        version: 1,
        count: this.count,
        bytes: this.bytes,
        minStartedAt: this.count ? this.minStartedAt : null,
        maxStartedAt: this.count ? this.maxStartedAt : null,
        firstId: this.firstId,
        lastId: this.lastId,
        lastHash: this.lastHash,
        strings: table,
      }),
    );
    const headerPadded = Math.ceil((12 + header.length) / 8) * 8;
    const n = this.count;
    const parts: Buffer[] = [Buffer.alloc(headerPadded)];
    parts[0]!.write(MAGIC, 0, 'latin1');
    parts[0]!.writeUInt32LE(header.length, 8);
    header.copy(parts[0]!, 12);
    const raw = (array: Float64Array | Float32Array | Uint8Array | Uint32Array, items: number) =>
      Buffer.from(array.buffer, array.byteOffset, items * array.BYTES_PER_ELEMENT);
    parts.push(raw(this.startedAt, n), raw(this.totalMs, n));
    for (const column of U32_COLUMNS) parts.push(raw(localColumns[column] ?? this[column], n));
    parts.push(raw(this.outcome, n));
    return Buffer.concat(parts);
  }

  static deserialize(buffer: Buffer, strings: StringTable): SegmentIndex | undefined {
    if (buffer.length < 12 || buffer.toString('latin1', 0, 8) !== MAGIC) return undefined;
    const headerLength = buffer.readUInt32LE(8);
    let header: {
      version: number;
      count: number;
      bytes: number;
      minStartedAt: number | null;
      maxStartedAt: number | null;
      firstId?: string;
      lastId?: string;
      lastHash?: string;
      strings: string[];
    };
    try {
      header = JSON.parse(buffer.toString('utf8', 12, 12 + headerLength));
    } catch {
      return undefined;
    }
    const n = header.count;
    let position = Math.ceil((12 + headerLength) / 8) * 8;
    if (header.version !== 1 || buffer.length !== position + n * (8 + 4 + 4 * U32_COLUMNS.length + 1)) return undefined;
    const index = new SegmentIndex(Math.max(n, 16));
    const take = <T extends Float64Array | Float32Array | Uint8Array | Uint32Array>(target: T): void => {
      const bytes = n * target.BYTES_PER_ELEMENT;
      new Uint8Array(target.buffer, 0, bytes).set(buffer.subarray(position, position + bytes));
      position += bytes;
    };
    take(index.startedAt);
    take(index.totalMs);
    for (const column of U32_COLUMNS) take(index[column]);
    take(index.outcome);
    const toGlobal = header.strings.map((value) => strings.intern(value));
    for (const column of INTERNED) {
      const values = index[column];
      for (let i = 0; i < n; i++) values[i] = toGlobal[values[i] ?? 0] ?? 0;
    }
    index.count = n;
    index.bytes = header.bytes;
    index.minStartedAt = header.minStartedAt ?? Number.POSITIVE_INFINITY;
    index.maxStartedAt = header.maxStartedAt ?? Number.NEGATIVE_INFINITY;
    index.firstId = header.firstId;
    index.lastId = header.lastId;
    index.lastHash = header.lastHash;
    return index;
  }
}

const MAGIC = 'GHAIDX01';

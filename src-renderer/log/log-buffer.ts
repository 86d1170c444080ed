import type { AuditRecord } from '../../src-main/core/api/contract.ts';

/**
 * The records the live log shows, newest first, built from two append-only arrays so that neither
 * a live record (arriving at the top) nor an older page (arriving at the bottom) moves the others
 * in memory: `live` grows oldest→newest, `older` grows newest→oldest. Row i of the view is
 * live[live.length-1-i] for the first live.length rows, then older[i-live.length].
 */
export class LogBuffer {
  private readonly live: AuditRecord[] = [];
  private readonly older: AuditRecord[] = [];
  private readonly ids = new Set<string>();
  readonly capacity: number;
  /** Set once older rows were dropped: paging further back would leave a gap, so it stops. */
  droppedOlder = false;

  constructor(capacity = 250_000) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.live.length + this.older.length;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  at(row: number): AuditRecord | undefined {
    if (row < this.live.length) return this.live[this.live.length - 1 - row];
    return this.older[row - this.live.length];
  }

  /** New records (oldest first); returns how many rows were added at the top. */
  addLive(records: AuditRecord[]): number {
    let added = 0;
    for (const record of records) {
      if (this.ids.has(record.id)) continue;
      this.ids.add(record.id);
      this.live.push(record);
      added++;
    }
    this.trim();
    return added;
  }

  /** A page of history (newest first), below what is already shown. */
  addOlder(records: AuditRecord[]): number {
    let added = 0;
    for (const record of records) {
      if (this.ids.has(record.id)) continue;
      this.ids.add(record.id);
      this.older.push(record);
      added++;
    }
    this.trim();
    return added;
  }

  /** Past capacity the oldest rows go; the window can always page them back in. */
  private trim(): void {
    let excess = this.size - this.capacity;
    if (excess <= 0) return;
    const fromOlder = Math.min(excess, this.older.length);
    if (fromOlder > 0) this.droppedOlder = true;
    for (const record of this.older.splice(this.older.length - fromOlder, fromOlder)) this.ids.delete(record.id);
    excess -= fromOlder;
    if (excess > 0) {
      this.droppedOlder = true;
      for (const record of this.live.splice(0, excess)) this.ids.delete(record.id);
    }
  }
}

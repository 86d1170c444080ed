import type { AuditOutcome } from './record.ts';

/**
 * Calls, errors, denials and latency percentiles per server and tool over the last hour and day,
 * for the window and the tray. Fed by every append and rebuilt from the index on open: one slot
 * per key and minute, each with counts and a sparse log-scale latency histogram (4 % buckets), so
 * memory follows the number of distinct tools, not the number of calls.
 */
export type AuditStats = {
  calls: number;
  /** tool_error, upstream_error and timeout (cancellations are the client's choice, not failures). */
  errors: number;
  denials: number;
  /** Latency percentiles in ms over calls that reached the upstream (denials excluded); null with no such call. */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
};

export type AuditMetricsWindow = {
  /** ISO time the window starts at. */
  since: string;
  total: AuditStats;
  servers: { server: string; stats: AuditStats; tools: { name: string; stats: AuditStats }[] }[];
};

export type AuditMetrics = { hour: AuditMetricsWindow; day: AuditMetricsWindow };

const MINUTE = 60_000;
const DAY_MINUTES = 24 * 60;
const GROWTH = Math.log(1.04);
const ERROR_OUTCOMES: ReadonlySet<AuditOutcome> = new Set(['tool_error', 'upstream_error', 'timeout']);

type Slot = { minute: number; calls: number; errors: number; denials: number; latency: Map<number, number> };
type KeyedSlots = { server: string; name: string; slots: (Slot | undefined)[] };

const bucketOf = (ms: number): number => (ms <= 1 ? 0 : Math.ceil(Math.log(ms) / GROWTH));
const bucketValue = (bucket: number): number => (bucket === 0 ? 1 : Math.exp(bucket * GROWTH));

export class RollingMetrics {
  private readonly keys = new Map<string, KeyedSlots>();

  add(at: number, server: string, name: string, outcome: AuditOutcome, totalMs: number): void {
    const key = `${server}\u0000${name}`;
    let keyed = this.keys.get(key);
    if (!keyed) {
      keyed = { server, name, slots: new Array<Slot | undefined>(DAY_MINUTES) };
      this.keys.set(key, keyed);
    }
    const minute = Math.floor(at / MINUTE);
    const index = ((minute % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES;
    let slot = keyed.slots[index];
    if (!slot || slot.minute !== minute) {
      if (slot && slot.minute > minute) return; // older than a day relative to what the slot holds
      slot = { minute, calls: 0, errors: 0, denials: 0, latency: new Map() };
      keyed.slots[index] = slot;
    }
    slot.calls++;
    if (outcome === 'denied') {
      slot.denials++;
      return;
    }
    if (ERROR_OUTCOMES.has(outcome)) slot.errors++;
    const bucket = bucketOf(totalMs);
    slot.latency.set(bucket, (slot.latency.get(bucket) ?? 0) + 1);
  }

  snapshot(now: number): AuditMetrics {
    return { hour: this.window(now, 60), day: this.window(now, DAY_MINUTES) };
  }

  private window(now: number, minutes: number): AuditMetricsWindow {
    const last = Math.floor(now / MINUTE);
    const first = last - minutes + 1;
    const total = new Accumulator();
    const servers = new Map<string, { all: Accumulator; tools: Map<string, Accumulator> }>();
    for (const keyed of this.keys.values()) {
      const tool = new Accumulator();
      for (const slot of keyed.slots) if (slot && slot.minute >= first && slot.minute <= last) tool.add(slot);
      if (tool.calls === 0) continue;
      let server = servers.get(keyed.server);
      if (!server) {
        server = { all: new Accumulator(), tools: new Map() };
        servers.set(keyed.server, server);
      }
      server.tools.set(keyed.name, tool);
      server.all.merge(tool);
      total.merge(tool);
    }
    return {
      since: new Date(first * MINUTE).toISOString(),
      total: total.stats(),
      servers: [...servers.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([server, { all, tools }]) => ({
          server,
          stats: all.stats(),
          tools: [...tools.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, acc]) => ({ name, stats: acc.stats() })),
        })),
    };
  }
}

class Accumulator {
  calls = 0;
  errors = 0;
  denials = 0;
  readonly latency = new Map<number, number>();

  add(slot: Slot): void {
    this.calls += slot.calls;
    this.errors += slot.errors;
    this.denials += slot.denials;
    for (const [bucket, count] of slot.latency) this.latency.set(bucket, (this.latency.get(bucket) ?? 0) + count);
  }

  merge(other: Accumulator): void {
    this.add({ minute: 0, calls: other.calls, errors: other.errors, denials: other.denials, latency: other.latency });
  }

  stats(): AuditStats {
    const buckets = [...this.latency.entries()].sort(([a], [b]) => a - b);
    const samples = buckets.reduce((sum, [, count]) => sum + count, 0);
    const percentile = (p: number): number | null => {
      if (samples === 0) return null;
      const rank = Math.ceil(p * samples);
      let seen = 0;
      for (const [bucket, count] of buckets) {
        seen += count;
        if (seen >= rank) return Math.round(bucketValue(bucket) * 10) / 10;
      }
      return null;
    };
    return {
      calls: this.calls,
      errors: this.errors,
      denials: this.denials,
      p50Ms: percentile(0.5),
      p95Ms: percentile(0.95),
      p99Ms: percentile(0.99),
    };
  }
}

// Sizes and iterations of a run. Full mode fits in about 3 minutes on the 2-core dev machine;
// BENCH_QUICK=1 is a ~30 s smoke run (the figures are noisier). Every value can be overridden.

export type BenchSettings = {
  mode: 'full' | 'quick';
  /** Interleaved rounds of the sequential latency loops (each round: every path once, rotating order). */
  rounds: number;
  smallCallsPerRound: number;
  bigCallsPerRound: number;
  warmupCalls: number;
  bigKb: number;
  sessions: number;
  throughputRounds: number;
  throughputSeconds: number;
  connectRounds: number;
  /** How long the slow stdio upstream sleeps before it serves. */
  slowStartMs: number;
  idleSettleMs: number;
};

const FULL: BenchSettings = {
  mode: 'full',
  rounds: 20,
  smallCallsPerRound: 100,
  bigCallsPerRound: 25,
  warmupCalls: 300,
  bigKb: 100,
  sessions: 16,
  throughputRounds: 3,
  throughputSeconds: 4,
  connectRounds: 20,
  slowStartMs: 10_000,
  idleSettleMs: 2_000,
};

const QUICK: BenchSettings = {
  mode: 'quick',
  rounds: 4,
  smallCallsPerRound: 50,
  bigCallsPerRound: 10,
  warmupCalls: 100,
  bigKb: 100,
  sessions: 16,
  throughputRounds: 1,
  throughputSeconds: 1.5,
  connectRounds: 5,
  slowStartMs: 3_000,
  idleSettleMs: 1_000,
};

const ENV_KEYS: Record<Exclude<keyof BenchSettings, 'mode'>, string> = {
  rounds: 'BENCH_ROUNDS',
  smallCallsPerRound: 'BENCH_SMALL_CALLS',
  bigCallsPerRound: 'BENCH_BIG_CALLS',
  warmupCalls: 'BENCH_WARMUP_CALLS',
  bigKb: 'BENCH_BIG_KB',
  sessions: 'BENCH_SESSIONS',
  throughputRounds: 'BENCH_THROUGHPUT_ROUNDS',
  throughputSeconds: 'BENCH_THROUGHPUT_SECONDS',
  connectRounds: 'BENCH_CONNECT_ROUNDS',
  slowStartMs: 'BENCH_SLOW_START_MS',
  idleSettleMs: 'BENCH_IDLE_SETTLE_MS',
};

export function benchSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const settings = { ...(env.BENCH_QUICK === '1' ? QUICK : FULL) };
  for (const [key, name] of Object.entries(ENV_KEYS) as [keyof typeof ENV_KEYS, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got '${raw}'.`);
    settings[key] = value;
  }
  return settings;
}

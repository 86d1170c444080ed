// The table and the verdicts against the targets of issue 2 (Benchmark). `must` is the bar every
// peer we measured misses; `goal` is where a pass-through fast path should land.

export type Figures = Record<string, number>;

type Bound = { op: '<' | '<=' | '>' | '>='; limit: number };
type Verdict = { must: boolean; goal: boolean };

type Row = {
  figure: string;
  direct: string;
  gateway: string;
  delta: string;
  must?: Bound;
  goal?: Bound;
  /** The figure the targets apply to (added ms, ratio, MiB…). */
  judged?: number;
  key?: string;
};

function meets(value: number, bound: Bound | undefined): boolean {
  if (!bound) return true;
  switch (bound.op) {
    case '<':
      return value < bound.limit;
    case '<=':
      return value <= bound.limit;
    case '>':
      return value > bound.limit;
    case '>=':
      return value >= bound.limit;
  }
}

const ms = (v: number | undefined) => (v === undefined ? '' : `${v.toFixed(v < 10 ? 3 : 1)} ms`);
const cps = (v: number | undefined) => (v === undefined ? '' : `${Math.round(v)}/s`);
const times = (v: number) => `${v.toFixed(2)}x`;
const plus = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(3)} ms`;
const mib = (v: number) => `${v.toFixed(1)} MiB`;
const bound = (b: Bound | undefined, unit: string) => (b ? `${b.op} ${b.limit}${unit}` : '-');

function rows(f: Figures): Row[] {
  const perPath = (path: 'Server' | 'Aggregate', label: string): Row[] => [
    {
      figure: `small call p50, ${label}`,
      direct: ms(f.smallDirectP50Ms),
      gateway: ms(f[`small${path}P50Ms`]),
      delta: plus(f[`added${path}P50Ms`]!),
      judged: f[`added${path}P50Ms`],
      must: { op: '<', limit: 0.9 },
      goal: { op: '<=', limit: 0.25 },
      key: `added${path}P50`,
    },
    {
      figure: `small call p99, ${label}`,
      direct: ms(f.smallDirectP99Ms),
      gateway: ms(f[`small${path}P99Ms`]),
      delta: plus(f[`added${path}P99Ms`]!),
      judged: f[`added${path}P99Ms`],
      goal: { op: '<=', limit: 1 },
      key: `added${path}P99`,
    },
    {
      figure: `${f.bigKb} KB result p50, ${label}`,
      direct: ms(f.bigDirectP50Ms),
      gateway: ms(f[`big${path}P50Ms`]),
      delta: times(f[`big${path}RatioP50`]!),
      judged: f[`big${path}RatioP50`],
      must: { op: '<', limit: 1.3 },
      goal: { op: '<=', limit: 1.1 },
      key: `big${path}Ratio`,
    },
    {
      figure: `throughput ${f.sessions} sessions, ${label}`,
      direct: cps(f.throughputDirectCps),
      gateway: cps(f[`throughput${path}Cps`]),
      delta: times(f[`throughput${path}Ratio`]!),
      judged: f[`throughput${path}Ratio`],
      must: { op: '>', limit: 0.7 },
      goal: { op: '>=', limit: 0.9 },
      key: `throughput${path}Ratio`,
    },
    {
      figure: `connect+init+tools/list p50, ${label}`,
      direct: ms(f.connectDirectP50Ms),
      gateway: ms(f[`connect${path}P50Ms`]),
      delta: `${plus(f[`connect${path}P50Ms`]! - f.connectDirectP50Ms!)} (${times(f[`connect${path}Ratio`]!)})`,
    },
    {
      figure: `gateway CPU per small call, ${label}`,
      direct: '',
      gateway: ms(f[`cpuPerSmallCall${path}Ms`]),
      delta: `under load ${ms(f[`cpuPerCallUnderLoad${path}Ms`])}`,
      judged: f[`cpuPerSmallCall${path}Ms`],
      must: { op: '<', limit: 2 },
      goal: { op: '<=', limit: 0.3 },
      key: `cpuPerSmallCall${path}`,
    },
  ];
  return [
    ...perPath('Server', '/servers/<name>/mcp'),
    ...perPath('Aggregate', '/mcp'),
    // Not judged: the same figures through a TCP relay with no logic (bench/tcp-relay.ts), the
    // floor of any proxy process on this machine, measured in the same rounds.
    { figure: 'floor: TCP relay, small call p50', direct: '', gateway: '', delta: plus(f.addedRelayP50Ms!) },
    {
      figure: `floor: TCP relay, ${f.bigKb} KB result p50`,
      direct: '',
      gateway: '',
      delta: times(f.bigRelayRatioP50!),
    },
    { figure: 'floor: TCP relay, throughput', direct: '', gateway: '', delta: times(f.throughputRelayRatio!) },
    {
      figure: 'gateway RSS idle',
      direct: '',
      gateway: mib(f.rssIdleMib!),
      delta: '',
      judged: f.rssIdleMib,
      must: { op: '<', limit: 84 },
      goal: { op: '<=', limit: 60 },
      key: 'rssIdle',
    },
    {
      figure: 'gateway RSS after load',
      direct: '',
      gateway: mib(f.rssAfterLoadMib!),
      delta: `peak ${mib(f.rssPeakMib!)}`,
      judged: f.rssAfterLoadMib,
      must: { op: '<', limit: 190 },
      goal: { op: '<=', limit: 120 },
      key: 'rssAfterLoad',
    },
    {
      figure: 'gateway start to ready (median)',
      direct: '',
      gateway: ms(f.startToReadyMs),
      delta: `max ${ms(f.startToReadyMaxMs)}`,
      judged: f.startToReadyMs,
      must: { op: '<', limit: 1100 },
      goal: { op: '<=', limit: 500 },
      key: 'startToReady',
    },
    {
      figure: `first tools/list, upstream ${f.slowStartMs! / 1000} s to start`,
      direct: '',
      gateway: ms(f.firstToolsListSlowUpstreamMs),
      delta: `spawn→list ${ms(f.spawnToFirstToolsListMs)}`,
      judged: f.firstToolsListSlowUpstreamMs,
      // "No wait": answered in well under a second, i.e. not held up by the slow server.
      must: { op: '<', limit: 1000 },
      goal: { op: '<=', limit: 50 },
      key: 'firstToolsList',
    },
  ];
}

export function verdicts(figures: Figures): Record<string, Verdict> {
  const out: Record<string, Verdict> = {};
  for (const row of rows(figures)) {
    if (row.key === undefined || row.judged === undefined) continue;
    out[row.key] = { must: meets(row.judged, row.must), goal: meets(row.judged, row.goal) };
  }
  return out;
}

export function formatTable(figures: Figures): string {
  const header = ['figure', 'direct', 'gateway', 'ratio / added', 'must', 'goal', 'result'];
  const unitOf = (key: string | undefined) =>
    key === undefined ? '' : key.includes('Ratio') ? 'x' : key.startsWith('rss') ? ' MiB' : ' ms';
  const lines = rows(figures).map((row) => {
    let result = '';
    if (row.judged !== undefined) {
      const must = meets(row.judged, row.must);
      const goal = meets(row.judged, row.goal);
      result = !must ? 'FAIL' : goal ? 'pass (goal)' : row.must ? 'pass (must)' : 'miss (goal)';
    }
    const unit = unitOf(row.key);
    return [row.figure, row.direct, row.gateway, row.delta, bound(row.must, unit), bound(row.goal, unit), result];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(format)].join('\n');
}

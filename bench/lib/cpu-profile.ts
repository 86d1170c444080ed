// Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and says where the time went: self time
// per function, and per area (Node's HTTP and streams, fetch/undici, the gateway's own code, the
// SDK, GC). Self time of a sample is the time until the next sample, as Chrome DevTools counts it.
import path from 'node:path';

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
export type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

export type SelfTime = { name: string; where: string; area: string; ms: number; share: number };

const AREAS: [RegExp, string][] = [
  [/^\((garbage collector)\)$/, 'GC'],
  [/^\((program)\)$/, 'V8/native (program)'],
  [/^\((idle)\)$/, 'idle'],
  [/node:internal\/deps\/undici|undici/, 'fetch (undici)'],
  [
    /node:internal\/(http|_http|streams|stream_base|net|dns|timers|tcp|url|webstreams)|node:(http|_http|net|stream|url)/,
    'node http/net/streams',
  ],
  [/src-main\/core\//, 'gatehouse core'],
  [/@modelcontextprotocol\/sdk/, 'MCP SDK'],
  [/node_modules\/zod/, 'zod'],
  [/^node:/, 'node other'],
];

function areaOf(frame: CallFrame): string {
  const key = frame.url || frame.functionName;
  for (const [pattern, area] of AREAS) if (pattern.test(key) || pattern.test(frame.functionName)) return area;
  return frame.url ? 'other JS' : 'native/builtin';
}

function whereOf(frame: CallFrame, repoRoot: string): string {
  if (!frame.url) return '';
  const url = frame.url.startsWith('file://') ? new URL(frame.url).pathname : frame.url;
  const shown = url.startsWith(repoRoot) ? path.relative(repoRoot, url) : url;
  return `${shown}:${frame.lineNumber + 1}`;
}

const OWN_CODE = /src-main\/core\//;

export function selfTimes(
  profile: CpuProfile,
  repoRoot: string,
): { functions: SelfTime[]; areas: SelfTime[]; callers: SelfTime[]; totalMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  // Which of our functions caused the time (Node, undici and GC work it set off included): the
  // nearest frame of the gateway's own code on the sampled stack.
  const nearestOwnFrame = (id: number): CallFrame | undefined => {
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (OWN_CODE.test(frame.url)) return frame;
    }
    return undefined;
  };
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + delta);
  }
  const functions = new Map<string, SelfTime>();
  const areas = new Map<string, SelfTime>();
  const callers = new Map<string, SelfTime>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    const area = areaOf(frame);
    if (area === 'idle') continue;
    totalUs += us;
    const name = frame.functionName || '(anonymous)';
    const where = whereOf(frame, repoRoot);
    const key = `${name}@${where}`;
    const fn = functions.get(key) ?? { name, where, area, ms: 0, share: 0 };
    fn.ms += us / 1000;
    functions.set(key, fn);
    const a = areas.get(area) ?? { name: area, where: '', area, ms: 0, share: 0 };
    a.ms += us / 1000;
    areas.set(area, a);
    const own = nearestOwnFrame(id);
    const ownName = own ? own.functionName || '(anonymous)' : '(no gatehouse frame on the stack)';
    const ownWhere = own ? whereOf(own, repoRoot) : '';
    const c = callers.get(`${ownName}@${ownWhere}`) ?? { name: ownName, where: ownWhere, area: '', ms: 0, share: 0 };
    c.ms += us / 1000;
    callers.set(`${ownName}@${ownWhere}`, c);
  }
  const finish = (list: SelfTime[]) =>
    list.map((t) => ({ ...t, share: totalUs === 0 ? 0 : (t.ms * 1000) / totalUs })).sort((a, b) => b.ms - a.ms);
  return {
    functions: finish([...functions.values()]),
    areas: finish([...areas.values()]),
    callers: finish([...callers.values()]),
    totalMs: totalUs / 1000,
  };
}

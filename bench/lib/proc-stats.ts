// What the gateway process costs, read from Linux /proc so the figures are the gateway's own and
// not the benchmark client's: resident memory (VmRSS, peak VmHWM) and CPU time (utime + stime).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function clockTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(ticks) && ticks > 0) return ticks;
  } catch {
    // getconf missing: Linux uses 100 on every common architecture
  }
  return 100;
}

const TICKS_PER_SECOND = clockTicksPerSecond();

/** User + system CPU time of the process (all its threads) in ms; resolution is one clock tick (10 ms). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

export type Memory = { rssKb: number; peakRssKb: number };

export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${key}`);
    return Number(match[1]);
  };
  return { rssKb: kb('VmRSS'), peakRssKb: kb('VmHWM') };
}

// Runs `gatehouse serve --demo` as a user would (a child process of the real CLI), reads what it
// prints, and keeps track of every process it starts, so a test can prove none is left behind.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DEMO_READY_LINE } from '../../src-main/demo/index.ts';
import { NODE, ROOT } from '../support/gateway-harness.ts';

export type DemoPrintout = {
  endpoint: string;
  clientToken: string;
  window: string;
  policyFile: string;
  dataDir: string;
  idp: string;
  orgServer: string;
  orgAuditLog: string;
  /** The `npx …` lines under "Try next:". */
  tryNext: string[];
  text: string;
};

export type DemoProcess = {
  child: ChildProcessWithoutNullStreams;
  printout: DemoPrintout;
  stderr(): string;
  /** Every process seen under the demo so far (call now and then: servers come and go). */
  descendants(): Set<number>;
  /** Those of them still running: same pid and same start time, so a reused pid does not count. */
  stillRunning(): number[];
  /** SIGTERM (or another signal), then the exit code; kills with SIGKILL after `ms`. */
  stop(signal?: NodeJS.Signals, ms?: number): Promise<number | null>;
};

/**
 * `command` is what runs the demo: `gatehouse serve --demo` by default, or e.g. `scripts/start.ts`
 * (what `npm start` runs). Ready when the demo's last line is printed, within `readyMs`.
 */
export async function startDemoProcess(
  args: string[],
  env: NodeJS.ProcessEnv,
  { command = [path.join(ROOT, 'bin', 'gatehouse.js'), 'serve', '--demo'], readyMs = 60_000 } = {},
): Promise<DemoProcess> {
  const child = spawn(NODE, [...command, ...args], { cwd: ROOT, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  /** pid → start time (clock ticks since boot), which tells a process from a later one with its pid. */
  const seen = new Map<number, string>();

  const ready = await Promise.race([
    new Promise<boolean>((resolve) => {
      const check = () => {
        if (stdout.includes(DEMO_READY_LINE)) {
          child.stdout.off('data', check);
          resolve(true);
        }
      };
      child.stdout.on('data', check);
    }),
    exited.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), readyMs)),
  ]);
  const demo: DemoProcess = {
    child,
    printout: parsePrintout(stdout),
    stderr: () => stderr,
    descendants() {
      for (const pid of descendantsOf(child.pid!)) {
        const started = startTimeOf(pid);
        if (started) seen.set(pid, started);
      }
      return new Set(seen.keys());
    },
    stillRunning() {
      return [...seen].filter(([pid, started]) => startTimeOf(pid) === started).map(([pid]) => pid);
    },
    async stop(signal = 'SIGTERM', ms = 15_000) {
      // A SIGKILL cannot be passed on (npm start relays signals to its child): whatever runs below
      // the process is killed too, or a failed test would leave a demo running.
      const killAll = () => {
        demo.descendants();
        for (const pid of demo.stillRunning()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        child.kill('SIGKILL');
      };
      if (child.exitCode !== null || child.signalCode !== null) {
        if (signal === 'SIGKILL') killAll();
        return child.exitCode;
      }
      if (signal === 'SIGKILL') {
        killAll();
        return exited;
      }
      child.kill(signal);
      const timer = setTimeout(killAll, ms);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  if (!ready) {
    await demo.stop('SIGKILL');
    throw new Error(`The demo did not become ready.\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  }
  demo.descendants();
  return demo;
}

function parsePrintout(text: string): DemoPrintout {
  const field = (label: string) => {
    const value = new RegExp(`^\\s+${label}:\\s+(\\S+)`, 'm').exec(text)?.[1];
    if (!value) throw new Error(`The demo printed no "${label}:" line:\n${text}`);
    return value;
  };
  return {
    endpoint: field('Endpoint'),
    clientToken: field('Client token'),
    window: field('Window'),
    policyFile: field('Policy file'),
    dataDir: field('Data dir'),
    idp: field('Demo IdP'),
    orgServer: field('Org server'),
    orgAuditLog: field('Org audit log'),
    tryNext: text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('npx ')),
    text,
  };
}

/** Field 22 of /proc/<pid>/stat (Linux), or undefined when the process has ended. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state first, starttime the 20th. A zombie has
    // ended; it only waits for a parent (init, in a container maybe none) to collect its status.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** Children, grandchildren… of `root`, from /proc (Linux). */
function descendantsOf(root: number): number[] {
  if (process.platform !== 'linux') return [];
  const parents = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name is in parentheses and may itself contain spaces or parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(name), ppid);
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of parents) {
      if (ppid === parent) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

/** Processes (Linux) whose command line or environment mention `text`, e.g. the demo's data dir. */
export function processesMentioning(text: string): number[] {
  if (process.platform !== 'linux') return [];
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    for (const file of ['cmdline', 'environ']) {
      try {
        if (fs.readFileSync(`/proc/${name}/${file}`, 'utf8').includes(text)) {
          found.push(Number(name));
          break;
        }
      } catch {
        // gone, or not ours to read
      }
    }
  }
  return found;
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

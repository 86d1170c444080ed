// One of the demo's stdio MCP servers, run in this process. The packaged app cannot run Node
// scripts as `node` (its runAsNode fuse is off, see electron-builder.yml), so it starts the demo's
// servers as `<app executable> demo-server <name> args…`, which lands here.
import { pathToFileURL } from 'node:url';
import { serverEntry, type DemoServerName } from './demo-policy.ts';

const NAMES: readonly DemoServerName[] = ['filesystem', 'memory', 'everything'];

/** Runs the named server's package as its `bin` would, with `args` as its command line. */
export async function runDemoServer(name: string, args: string[]): Promise<void> {
  if (!NAMES.includes(name as DemoServerName)) {
    throw new Error(`There is no demo server '${name}'; the demo has ${NAMES.join(', ')}.`);
  }
  const entry = serverEntry(name as DemoServerName);
  // The servers read their arguments from process.argv, after the runtime and the script.
  process.argv = [process.argv[0]!, entry, ...args];
  await import(pathToFileURL(entry).href);
}

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How a client starts `gatehouse bridge`: an absolute command plus leading args. Clients started
 * from the macOS Finder or the Windows Start menu do not see the shell's PATH, and `npx` on
 * Windows is a `.cmd` shim that Node-based clients cannot spawn, so both parts are absolute paths.
 */
export type BridgeLauncher = { command: string; args: string[] };

/**
 * From a checkout or an npm install: the Node binary running us now (Node >= 22.18, which runs the
 * TypeScript sources) and this checkout's `bin/gatehouse.js`. Both stay put as long as the checkout
 * does; if either moves (an nvm upgrade, a moved folder) status reports the entry as drifted and
 * connect writes the new paths. The packaged app injects its own launcher instead.
 */
export function defaultBridgeLauncher(): BridgeLauncher {
  if (process.versions.electron) {
    throw new Error(
      'Inside Electron, pass a bridgeLauncher (the app binary with ELECTRON_RUN_AS_NODE, or a copied bridge) to the client connections.',
    );
  }
  const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'gatehouse.js');
  return { command: process.execPath, args: [bin] };
}

#!/usr/bin/env node
// Entry for `npx gatehouse` from a checkout. The CLI is TypeScript run by Node's built-in type
// stripping (Node >= 22.18), so there is no build step between editing and running. Inside `npx`
// and `npm run`, the `node` devDependency (Node 22) is first on PATH.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `gatehouse needs Node.js 22.18 or newer (this is ${process.version}). From a checkout, run it as 'npx gatehouse …' ` +
      `after 'npm ci': npm then uses the Node 22 that the project installs.\n`,
  );
  process.exit(1);
}
// Start-up allocates much that survives, which grows V8's young generation to 16 MB that then stays
// resident while the gateway idles; `serve` keeps it small until it is ready, then lets it grow.
if (process.argv[2] === 'serve') (await import('node:v8')).setFlagsFromString('--semi-space-growth-factor=1');
await import('./strip-cache.js'); // type-stripped sources from a disk cache: ~35 MB less resident memory
await import('../src-main/cli/main.ts');

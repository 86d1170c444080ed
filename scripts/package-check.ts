// `npm run package:check`: proves electron-builder.yml and the app's contents in CI, where the
// Electron binary cannot be downloaded. Builds the app, then runs
// `electron-builder --linux dir --publish never` against a stand-in Electron dist (an executable
// script named `electron` that carries Electron's fuse wire, so the fuses are really flipped), and
// checks what landed in app.asar and resources and how the fuses were set. A config error, a
// missing file or a broken `files` glob fails the run with electron-builder's own message.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureRendererBuilt, repoRoot, runInRepo } from './renderer-build.ts';

const bin = (name: string) => path.join(repoRoot, 'node_modules', '.bin', name);

async function main(): Promise<number> {
  const temp = await fs.mkdtemp(path.join(os.tmpdir(), 'gatehouse-package-check-'));
  try {
    await ensureRendererBuilt(log);
    log('Compiling the main process (tsc -p tsconfig.build.json) and bundling the preload…');
    await fs.rm(path.join(repoRoot, 'dist-main'), { recursive: true, force: true });
    await runInRepo(bin('tsc'), ['-p', 'tsconfig.build.json']);
    await runInRepo(bin('vite'), ['build', '--mode', 'preload', '--logLevel', 'warn']);

    const electronDist = path.join(temp, 'electron-dist');
    await fs.mkdir(electronDist);
    await fs.writeFile(path.join(electronDist, 'electron'), standInElectron(), { mode: 0o755 });
    const output = path.join(temp, 'release');
    log('Running electron-builder --linux dir with a stand-in Electron…');
    await runInRepo(bin('electron-builder'), [
      '--linux',
      'dir',
      '--publish',
      'never',
      `-c.electronDist=${electronDist}`,
      `-c.directories.output=${output}`,
    ]);

    const problems = await checkOutput(path.join(output, 'linux-unpacked'));
    if (problems.length) {
      process.stderr.write(
        `package:check found problems in the packaged app:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`,
      );
      return 1;
    }
    log('package:check passed: electron-builder.yml is valid and the app contains what it needs.');
    return 0;
  } finally {
    await fs.rm(temp, { recursive: true, force: true });
  }
}

// The fuse wire as Electron ships it: sentinel, wire version 1, 8 fuses, each '1' (on) or '0' (off).
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ELECTRON_DEFAULT_FUSES = '10110001';

function standInElectron(): Buffer {
  return Buffer.concat([
    Buffer.from('#!/bin/sh\necho "stand-in Electron for package:check" >&2\nexit 1\n# '),
    Buffer.from(FUSE_SENTINEL),
    Buffer.from([1, ELECTRON_DEFAULT_FUSES.length]),
    Buffer.from(ELECTRON_DEFAULT_FUSES),
    Buffer.from('\n'),
  ]);
}

/** The fuses electron-builder.yml sets, by position in the V1 wire ('0' off, '1' on); see the comment there on runAsNode. */
const EXPECTED_FUSES: [number, string, '0' | '1'][] = [
  [0, 'runAsNode', '0'],
  [1, 'enableCookieEncryption', '1'],
  [2, 'enableNodeOptionsEnvironmentVariable', '0'],
  [3, 'enableNodeCliInspectArguments', '0'],
  [4, 'enableEmbeddedAsarIntegrityValidation', '1'],
  [5, 'onlyLoadAppFromAsar', '1'],
  [7, 'grantFileProtocolExtraPrivileges', '0'],
];

/** The fuse states in a binary: the bytes after the sentinel, wire version and wire length. */
async function readFuseWire(binary: string): Promise<string> {
  const bytes = await fs.readFile(binary);
  const at = bytes.indexOf(FUSE_SENTINEL);
  if (at === -1) throw new Error(`${binary} has no fuse wire`);
  const length = bytes[at + FUSE_SENTINEL.length + 1]!;
  return bytes.subarray(at + FUSE_SENTINEL.length + 2, at + FUSE_SENTINEL.length + 2 + length).toString('latin1');
}

type AsarEntry = { files?: Record<string, AsarEntry>; offset?: string; size?: number };

/**
 * The file list and one file of an asar archive. The format: a Chromium pickle holding the header
 * size, then a pickle holding the JSON header (a tree of `files`), then the file contents.
 */
async function readAsar(archive: string): Promise<{ files: Set<string>; read(file: string): Buffer }> {
  const bytes = await fs.readFile(archive);
  const headerSize = bytes.readUInt32LE(4);
  const jsonLength = bytes.readUInt32LE(12);
  const header = JSON.parse(bytes.subarray(16, 16 + jsonLength).toString('utf8')) as AsarEntry;
  const files = new Set<string>();
  const walk = (entry: AsarEntry, prefix: string) => {
    for (const [name, child] of Object.entries(entry.files ?? {})) {
      files.add(`${prefix}/${name}`);
      walk(child, `${prefix}/${name}`);
    }
  };
  walk(header, '');
  return {
    files,
    read(file) {
      let entry = header;
      for (const part of file.split('/')) entry = entry.files?.[part] ?? {};
      if (entry.offset === undefined || entry.size === undefined)
        throw new Error(`${file} is not a packed file in ${archive}`);
      const start = 8 + headerSize + Number(entry.offset);
      return bytes.subarray(start, start + entry.size);
    },
  };
}

async function checkOutput(unpacked: string): Promise<string[]> {
  const problems: string[] = [];
  const asar = path.join(unpacked, 'resources', 'app.asar');
  const archive = await readAsar(asar);
  const files = archive.files;
  const required = [
    '/package.json',
    '/dist-main/shell/main.js',
    '/dist-main/shell/preload.cjs',
    '/dist-main/core/api/index.js',
    '/dist-main/cli/commands/bridge.js',
    '/dist-renderer/index.html',
    '/node_modules/@modelcontextprotocol/sdk/package.json',
    '/node_modules/zod/package.json',
    '/node_modules/electron-store/package.json',
    // "Try the demo org": the demo, its IdP and its three stdio MCP servers run from the app.
    '/dist-main/demo/app-demo.js',
    '/dist-main/demo/demo-server.js',
    '/node_modules/oidc-provider/package.json',
    '/node_modules/@modelcontextprotocol/server-filesystem/package.json',
    '/node_modules/@modelcontextprotocol/server-memory/package.json',
    '/node_modules/@modelcontextprotocol/server-everything/package.json',
  ];
  for (const file of required) if (!files.has(file)) problems.push(`app.asar lacks ${file}`);
  for (const file of files) {
    if (/^\/node_modules\/(react|react-dom)\//.test(file))
      problems.push(`app.asar carries ${file} (React belongs in the window bundle only)`);
    if (/^\/(src-main|src-renderer|test)\//.test(file) || file.endsWith('.map'))
      problems.push(`app.asar carries source file ${file}`);
  }
  if (![...files].some((f) => /^\/dist-renderer\/assets\/index-[\w-]+\.js$/.test(f)))
    problems.push('app.asar lacks the window bundle (dist-renderer/assets/index-*.js)');
  const metadata = JSON.parse(archive.read('package.json').toString('utf8')) as { main?: string };
  if (metadata.main !== 'dist-main/shell/main.js')
    problems.push(`package.json in app.asar has main '${metadata.main}', expected dist-main/shell/main.js`);
  for (const icon of ['tray-signed-in.png', 'tray-error@2x.png', 'trayTemplate.png']) {
    await fs
      .access(path.join(unpacked, 'resources', 'tray', icon))
      .catch(() => problems.push(`resources/tray lacks ${icon}`));
  }
  const executable = path.join(unpacked, 'gatehouse');
  if (
    await fs.access(executable).then(
      () => false,
      () => true,
    )
  ) {
    problems.push('the app executable linux-unpacked/gatehouse is missing');
    return problems;
  }
  const wire = await readFuseWire(executable);
  for (const [position, name, expected] of EXPECTED_FUSES) {
    if (wire[position] !== expected) problems.push(`fuse ${name} is '${wire[position]}', expected '${expected}'`);
  }
  return problems;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`package:check failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);

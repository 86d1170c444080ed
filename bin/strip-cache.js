// A disk cache of type-stripped sources for `gatehouse` run from a checkout. Node strips types with
// a WebAssembly build of SWC (amaro); once it has run, the process keeps ~35 MB more resident
// memory for good (measured: `gatehouse serve` idles at ~125 MiB stripping at load, ~90 MiB from
// this cache). Stripping only blanks out types (line and column of everything else stay), so a
// cached result is exactly what Node would run; it is keyed by the Node version and the file's
// content. A cold cache (first run after an edit) strips like Node does; any failure falls back to
// Node's own loading, which also reports syntax errors as usual.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { registerHooks, stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const ROOT_URL = new URL('../', import.meta.url).href;
const CACHE_DIR =
  process.env.GATEHOUSE_STRIP_CACHE_DIR ||
  fileURLToPath(new URL('../node_modules/.cache/gatehouse-strip/', import.meta.url));

function strip(source) {
  // Node's own stripping of the same file warns about nothing; the API still says "experimental".
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emitWarning;
  }
}

function cachedStrip(file) {
  const source = fs.readFileSync(file, 'utf8');
  const key = createHash('sha256').update(`${process.version}\0`).update(source).digest('hex');
  const cached = path.join(CACHE_DIR, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    // not cached yet
  }
  const stripped = strip(source);
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    // Several gateways may start at once: write aside, then rename (atomic).
    const temporary = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, stripped);
    fs.renameSync(temporary, cached);
  } catch {
    // A read-only checkout still runs, stripping at every start.
  }
  return stripped;
}

registerHooks({
  load(url, context, next) {
    if (!url.startsWith(ROOT_URL) || !url.endsWith('.ts') || url.includes('/node_modules/')) return next(url, context);
    try {
      return { format: 'module', source: cachedStrip(fileURLToPath(url)), shortCircuit: true };
    } catch {
      return next(url, context);
    }
  },
});

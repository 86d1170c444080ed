// Draws Gatehouse's icons (app icon as PNG/ICNS/ICO, tray images per state) from the same
// geometry as build/icon.svg, with no image tooling: a small anti-aliased rasterizer and PNG,
// ICNS and ICO writers. Run `npm run icons` after changing the drawing; the outputs are committed.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));

type Rgba = [number, number, number, number];
type Shape = (x: number, y: number) => boolean;

// ---- geometry, in the 16×16 units of icon.svg --------------------------------------------------

const rect =
  (x0: number, y0: number, x1: number, y1: number): Shape =>
  (x, y) =>
    x >= x0 && x < x1 && y >= y0 && y < y1;
const circle =
  (cx: number, cy: number, r: number): Shape =>
  (x, y) =>
    (x - cx) ** 2 + (y - cy) ** 2 < r * r;
const roundedRect =
  (x0: number, y0: number, x1: number, y1: number, r: number): Shape =>
  (x, y) => {
    if (!rect(x0, y0, x1, y1)(x, y)) return false;
    const cx = Math.min(Math.max(x, x0 + r), x1 - r);
    const cy = Math.min(Math.max(y, y0 + r), y1 - r);
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
  };
const union =
  (...shapes: Shape[]): Shape =>
  (x, y) =>
    shapes.some((s) => s(x, y));
const minus =
  (a: Shape, b: Shape): Shape =>
  (x, y) =>
    a(x, y) && !b(x, y);
const transformed =
  (shape: Shape, offset: number, scale: number): Shape =>
  (x, y) =>
    shape((x - offset) / scale, (y - offset) / scale);

/** The gate tower: body with three merlons, an arched door cut out (icon.svg's path). */
const gate: Shape = minus(
  union(rect(3, 4, 13, 14), rect(3, 2, 5.5, 4), rect(6.75, 2, 9.25, 4), rect(10.5, 2, 13, 4)),
  union(rect(6, 9, 10, 14), circle(8, 9, 2)),
);
const tile = roundedRect(0, 0, 16, 16, 3.5);
const tileGate = transformed(gate, 2.4, 0.7);

// ---- rasterizer -------------------------------------------------------------------------------

type Layer = { shape: Shape; color: (x: number, y: number) => Rgba };

/** Draws layers (bottom first) at `size` pixels for the 16-unit design, 4×4 samples per pixel. */
function render(size: number, layers: Layer[]): Buffer {
  const pixels = Buffer.alloc(size * size * 4);
  const samples = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = ((px + (sx + 0.5) / samples) / size) * 16;
          const y = ((py + (sy + 0.5) / samples) / size) * 16;
          let color: Rgba = [0, 0, 0, 0];
          for (const layer of layers) if (layer.shape(x, y)) color = over(layer.color(x, y), color);
          // premultiplied accumulation
          r += color[0] * color[3];
          g += color[1] * color[3];
          b += color[2] * color[3];
          a += color[3];
        }
      }
      const i = (py * size + px) * 4;
      const n = samples * samples;
      pixels[i + 3] = Math.round((a / n) * 255);
      if (a > 0) {
        pixels[i] = Math.round(r / a);
        pixels[i + 1] = Math.round(g / a);
        pixels[i + 2] = Math.round(b / a);
      }
    }
  }
  return pixels;
}

function over(top: Rgba, bottom: Rgba): Rgba {
  const a = top[3] + bottom[3] * (1 - top[3]);
  if (a === 0) return [0, 0, 0, 0];
  const mix = (t: number, b: number) => (t * top[3] + b * bottom[3] * (1 - top[3])) / a;
  return [mix(top[0], bottom[0]), mix(top[1], bottom[1]), mix(top[2], bottom[2]), a];
}

function hex(color: string, alpha = 1): Rgba {
  const n = Number.parseInt(color.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255, alpha];
}

function gradient(top: string, bottom: string): (x: number, y: number) => Rgba {
  const a = hex(top);
  const b = hex(bottom);
  return (_x, y) => {
    const t = y / 16;
    return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t, 1];
  };
}

// ---- file formats -----------------------------------------------------------------------------

function png(size: number, rgba: Buffer): Buffer {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Apple icon container with PNG payloads (types from 16 px 'icp4' to 1024 px 'ic10'). */
function icns(images: Map<number, Buffer>): Buffer {
  const types: [string, number][] = [
    ['icp4', 16],
    ['icp5', 32],
    ['icp6', 64],
    ['ic07', 128],
    ['ic08', 256],
    ['ic09', 512],
    ['ic10', 1024],
  ];
  const entries = types.map(([type, size]) => {
    const data = images.get(size)!;
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(data.length + 8, 4);
    return Buffer.concat([head, data]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + entries.reduce((n, e) => n + e.length, 0), 4);
  return Buffer.concat([head, ...entries]);
}

/** Windows icon with PNG payloads (Vista and later read PNG entries). */
function ico(images: Map<number, Buffer>, sizes: number[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(sizes.length, 4);
  let offset = 6 + 16 * sizes.length;
  const directory = sizes.map((size) => {
    const data = images.get(size)!;
    const entry = Buffer.alloc(16);
    entry.writeUInt8(size >= 256 ? 0 : size, 0);
    entry.writeUInt8(size >= 256 ? 0 : size, 1);
    entry.writeUInt16LE(1, 4); // planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(data.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += data.length;
    return entry;
  });
  return Buffer.concat([header, ...directory, ...sizes.map((size) => images.get(size)!)]);
}

// ---- the icons ----------------------------------------------------------------------------------

const INDIGO = gradient('#6366f1', '#4338ca');
const GREY = gradient('#8a93a3', '#5b6472');
const WHITE = () => hex('#ffffff');

function appIcon(size: number): Buffer {
  return png(
    size,
    render(size, [
      { shape: tile, color: INDIGO },
      { shape: tileGate, color: WHITE },
    ]),
  );
}

const BADGES: Record<string, string | undefined> = {
  'signed-in': undefined,
  personal: undefined,
  'signed-out': undefined,
  paused: '#f59e0b',
  'policy-stale': '#f59e0b',
  error: '#dc2626',
};

/** A tray image: the tile (grey when signed out) with a status dot ringed in white. */
function trayIcon(size: number, state: string): Buffer {
  const badge = BADGES[state];
  const layers: Layer[] = [
    { shape: tile, color: state === 'signed-out' ? GREY : INDIGO },
    { shape: tileGate, color: WHITE },
  ];
  if (badge) {
    layers.push(
      { shape: circle(12.2, 12.2, 4.2), color: WHITE },
      { shape: circle(12.2, 12.2, 3.1), color: () => hex(badge) },
    );
  }
  return png(size, render(size, layers));
}

/** macOS menu-bar template: black glyph on transparency, recolored by the system. */
function trayTemplate(size: number): Buffer {
  return png(size, render(size, [{ shape: transformed(gate, 0.5, 0.94), color: () => hex('#000000') }]));
}

function write(file: string, data: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  console.log(`${path.relative(process.cwd(), file)} (${data.length} bytes)`);
}

const appSizes = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const app = new Map(appSizes.map((size) => [size, appIcon(size)]));
write(path.join(here, 'icon.png'), app.get(1024)!);
write(path.join(here, 'icon.icns'), icns(app));
write(path.join(here, 'icon.ico'), ico(app, [16, 24, 32, 48, 64, 128, 256]));
for (const state of Object.keys(BADGES)) {
  write(path.join(here, 'tray', `tray-${state}.png`), trayIcon(16, state));
  write(path.join(here, 'tray', `tray-${state}@2x.png`), trayIcon(32, state));
}
write(path.join(here, 'tray', 'trayTemplate.png'), trayTemplate(16));
write(path.join(here, 'tray', 'trayTemplate@2x.png'), trayTemplate(32));

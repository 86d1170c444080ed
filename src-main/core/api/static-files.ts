import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export type UiFile = { file: string; contentType: string; cacheControl: string };

/**
 * Maps a request path inside the window's bundle (`/`, `/assets/index-3f2a.js`) to a file under
 * `root`, or null. Used by the HTTP handler and by Electron's protocol handler, so both refuse the
 * same things: paths that leave the root, dot files, encoded separators and unknown file types.
 */
export function resolveUiFile(root: string, requestPath: string): UiFile | null {
  const pathname = requestPath.split(/[?#]/, 1)[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment.startsWith('.'))) return null;
  if (segments.length === 0) segments.push('index.html');
  const file = path.join(root, ...segments);
  const relative = path.relative(root, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return null;
  const contentType = CONTENT_TYPES[path.extname(file).toLowerCase()];
  if (!contentType) return null;
  // Vite puts content-hashed files under assets/: they never change; index.html always may.
  const cacheControl = segments[0] === 'assets' ? 'public, max-age=31536000, immutable' : 'no-cache';
  return { file, contentType, cacheControl };
}

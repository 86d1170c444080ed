import fs from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { windowSecurityHeaders } from './csp.ts';
import { resolveUiFile } from './static-files.ts';

/**
 * A plain Node request handler. It answers every request it gets (no `next`), so it fits both the
 * gateway listener's route table (which passes the caller's local client id as the third argument)
 * and `app.use(prefix, handler)` in express.
 */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, localClientId?: string) => void;

/**
 * Serves the built window (dist-renderer) under /ui/. Mount it after the Host/Origin check but
 * before the bearer check: a browser's first page load cannot carry a header, and the bundle holds
 * no secrets (the token arrives in the URL fragment; see window-url.ts).
 */
export function createUiHandler(options: { root: string }): NodeHandler {
  return (req, res) => {
    void serveUiFile(options.root, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendText(res, 500, `Could not read the window's files: ${(error as Error).message}`);
      else res.destroy();
    });
  };
}

async function serveUiFile(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendText(res, 405, 'Method not allowed.');
  }
  const original = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  // Relative asset URLs in index.html need the trailing slash.
  if (/^\/ui(\?|$)/.test(original)) {
    res.writeHead(301, { Location: '/ui/', ...windowSecurityHeaders() });
    return void res.end();
  }
  const url = (req.url ?? '/').replace(/^\/ui(?=\/)/, '');
  const resolved = resolveUiFile(root, url);
  if (!resolved) return sendText(res, 404, 'Not found.');
  let body: Buffer;
  try {
    body = await fs.readFile(resolved.file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'EISDIR')
      throw error;
    if (resolved.file.endsWith('index.html')) {
      return sendText(
        res,
        503,
        "The window is not built yet: run 'npm run build:renderer' (or 'npm start', which builds it).",
      );
    }
    return sendText(res, 404, 'Not found.');
  }
  res.writeHead(200, {
    ...windowSecurityHeaders(),
    'Content-Type': resolved.contentType,
    'Content-Length': body.length,
    'Cache-Control': resolved.cacheControl,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    ...windowSecurityHeaders(),
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(text + '\n');
}

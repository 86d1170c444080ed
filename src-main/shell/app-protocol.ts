import fs from 'node:fs/promises';
import { protocol } from 'electron';
import { windowSecurityHeaders } from '../core/api/csp.ts';
import { resolveUiFile } from '../core/api/static-files.ts';
import { APP_HOST, APP_SCHEME } from './app-origin.ts';

/** Before `ready`: the window's scheme behaves like https (secure context, standard URLs). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);
}

/** Serves dist-renderer at gatehouse://app/ with the same file rules and CSP as /ui/ over HTTP. */
export function serveWindowFiles(rendererRoot: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (request.method !== 'GET' || url.host !== APP_HOST) return new Response('Not found', { status: 404 });
    const file = resolveUiFile(rendererRoot, url.pathname);
    if (!file) return new Response('Not found', { status: 404 });
    try {
      const body = await fs.readFile(file.file);
      return new Response(body, { headers: { ...windowSecurityHeaders(), 'Content-Type': file.contentType } });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
}

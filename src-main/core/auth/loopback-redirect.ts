import http from 'node:http';
import type { AddressInfo } from 'node:net';

type LoginOutcome = { ok: true; who: string } | { ok: false; message: string };

export type LoopbackRedirect = {
  /** `http://127.0.0.1:<port>/callback`: registered loopback redirect, any port (RFC 8252 §7.3). */
  redirectUri: string;
  /** The first callback that carries the expected `state`. */
  callback: Promise<URL>;
  /** Answers the browser tab waiting on the callback (held open until the code is exchanged). */
  finish(outcome: LoginOutcome): void;
  close(): Promise<void>;
};

/**
 * A one-shot HTTP server on 127.0.0.1 that receives the authorization response. Callbacks with
 * another `state` are refused and waiting goes on, so a stray or hostile local request cannot
 * break a sign-in in progress.
 */
export async function startLoopbackRedirect(expectedState: string): Promise<LoopbackRedirect> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  let waiting: http.ServerResponse | undefined;
  let received = false;
  let resolveCallback: (url: URL) => void = () => undefined;
  const callback = new Promise<URL>((resolve) => (resolveCallback = resolve));

  server.on('request', (request, response) => {
    const url = new URL(request.url ?? '/', redirectUri);
    if (request.method !== 'GET' || url.pathname !== '/callback') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    } else if (url.searchParams.get('state') !== expectedState) {
      sendPage(
        response,
        400,
        'Not this sign-in',
        'This link does not belong to the sign-in Gatehouse is waiting for. Start the sign-in again from Gatehouse.',
      );
    } else if (received) {
      sendPage(response, 409, 'Already handled', 'Gatehouse already received this sign-in. You can close this tab.');
    } else {
      received = true;
      waiting = response;
      resolveCallback(url);
    }
  });

  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 1000).unref();
    });

  return {
    redirectUri,
    callback,
    finish(outcome) {
      if (!waiting) return;
      if (outcome.ok)
        sendPage(waiting, 200, 'Signed in', `Signed in to Gatehouse as ${outcome.who}. You can close this tab.`);
      else sendPage(waiting, 400, 'Sign-in failed', `${outcome.message} Return to Gatehouse to try again.`);
      waiting = undefined;
    },
    close,
  };
}

function sendPage(response: http.ServerResponse, status: number, title: string, text: string): void {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} - Gatehouse</title></head><body style="font-family:system-ui,sans-serif;margin:4em auto;max-width:32em"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`;
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    connection: 'close',
  });
  response.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

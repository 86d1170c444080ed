// A tiny "browser" for sign-in pages: follows redirects by hand with a cookie jar (fetch's own
// redirect handling drops the IdP's interaction cookies) and submits the page's POST form with the
// fields a person would type. Enough for oidc-provider's login, device-confirm and consent pages.
// The demo org signs its demo user in with it; tests use it through test/support/idp.ts.

export type HeadlessBrowseOptions = {
  /** Values typed into the form's inputs by name, e.g. `{ login: 'bob', password: 'x' }`. */
  fill?: Record<string, string>;
  maxSteps?: number;
};

export type HeadlessBrowseResult = { url: string; status: number; body: string; visited: string[] };

export async function browseHeadless(
  startUrl: string,
  options: HeadlessBrowseOptions = {},
): Promise<HeadlessBrowseResult> {
  const jar = new CookieJar();
  const visited: string[] = [];
  let request: { url: string; method: 'GET' | 'POST'; body?: URLSearchParams } = { url: startUrl, method: 'GET' };
  for (let step = 0; step < (options.maxSteps ?? 20); step++) {
    visited.push(`${request.method} ${request.url}`);
    const response = await fetch(request.url, {
      method: request.method,
      redirect: 'manual',
      headers: {
        ...(jar.header(request.url) && { cookie: jar.header(request.url) }),
        ...(request.body && { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      body: request.body,
    });
    jar.store(request.url, response.headers.getSetCookie());
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      request = { url: new URL(location, request.url).href, method: 'GET' };
      continue;
    }
    const body = await response.text();
    const form = response.ok ? findPostForm(body) : undefined;
    if (!form) return { url: request.url, status: response.status, body, visited };
    const fields = new URLSearchParams([...form.fields]);
    for (const [name, value] of Object.entries(options.fill ?? {})) if (form.fields.has(name)) fields.set(name, value);
    request = { url: new URL(form.action || request.url, request.url).href, method: 'POST', body: fields };
  }
  throw new Error(`Sign-in did not finish within ${options.maxSteps ?? 20} steps:\n${visited.join('\n')}`);
}

function findPostForm(html: string): { action: string; fields: Map<string, string> } | undefined {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form || !/method="post"/i.test(form[1] ?? '')) return undefined;
  const action = decodeEntities(/action="([^"]*)"/i.exec(form[1] ?? '')?.[1] ?? '');
  const fields = new Map<string, string>();
  for (const input of (form[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
    const name = /name="([^"]*)"/i.exec(input[1] ?? '')?.[1];
    if (name) fields.set(name, decodeEntities(/value="([^"]*)"/i.exec(input[1] ?? '')?.[1] ?? ''));
  }
  return { action, fields };
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Cookies per host:port; paths and expiry dates are irrelevant for one short sign-in. */
class CookieJar {
  private readonly byOrigin = new Map<string, Map<string, string>>();

  store(url: string, setCookies: string[]): void {
    const origin = new URL(url).host;
    const cookies = this.byOrigin.get(origin) ?? new Map<string, string>();
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
    this.byOrigin.set(origin, cookies);
  }

  header(url: string): string {
    const cookies = this.byOrigin.get(new URL(url).host);
    return cookies ? [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') : '';
  }
}

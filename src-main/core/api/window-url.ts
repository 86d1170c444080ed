// How a browser window gets the local token without a header on its first page load: the token
// rides in the URL fragment, which browsers never send to the server (so it is not in request
// logs or Referer headers). The bundle reads it once, keeps it in sessionStorage for reloads of
// that tab, removes it from the address bar, and sends it as a bearer header on every API call.
// Browser-safe.

/** The address `gatehouse serve` prints, e.g. http://127.0.0.1:7391/ui/#token=gh_… */
export function windowUrl(origin: string, token: string): string {
  return `${origin.replace(/\/+$/, '')}/ui/#token=${encodeURIComponent(token)}`;
}

/** The token in a location hash like `#token=gh_…`, or undefined. */
export function tokenFromFragment(hash: string): string | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token');
  return token ? token : undefined;
}

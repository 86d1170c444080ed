/**
 * The Content-Security-Policy of the window, in Electron and in a browser alike. Only the bundle's
 * own files run; no inline script or style, no eval, no plugins, no frames, no form posts, and
 * Trusted Types with no policy, so no string can ever become HTML (the window shows tool
 * parameters and responses, which are attacker-controlled text).
 */
export const WINDOW_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** Headers for every file of the window served over HTTP. */
export function windowSecurityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': WINDOW_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

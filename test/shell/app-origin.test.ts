import { describe, expect, it } from 'vitest';
import {
  isAppUrl,
  isExternalLinkAllowed,
  isPermissionAllowed,
  isTrustedSender,
  WINDOW_URL,
} from '../../src-main/shell/app-origin.ts';

describe('the window origin', () => {
  it('accepts only pages of gatehouse://app', () => {
    expect(isAppUrl(WINDOW_URL)).toBe(true);
    expect(isAppUrl('gatehouse://app/index.html#/log')).toBe(true);
    for (const url of [
      'gatehouse://evil/index.html',
      'gatehouse://app.evil.example/',
      'gatehouse://user:pw@app/',
      'https://app/index.html',
      'file:///app/index.html',
      'http://127.0.0.1:7391/ui/',
      'about:blank',
      'not a url',
      '',
      undefined,
      null,
    ]) {
      expect(isAppUrl(url), String(url)).toBe(false);
    }
  });

  it('answers IPC only from the main frame of our page', () => {
    expect(isTrustedSender({ frameUrl: WINDOW_URL, isMainFrame: true })).toBe(true);
    expect(isTrustedSender({ frameUrl: WINDOW_URL, isMainFrame: false })).toBe(false);
    expect(isTrustedSender({ frameUrl: 'https://evil.example/', isMainFrame: true })).toBe(false);
    expect(isTrustedSender({ frameUrl: undefined, isMainFrame: true })).toBe(false);
  });

  it('sends only https to the system browser, plus loopback http for the core sign-in', () => {
    expect(isExternalLinkAllowed('https://login.acme.example/authorize?x=1')).toBe(true);
    expect(isExternalLinkAllowed('http://login.acme.example/')).toBe(false);
    expect(isExternalLinkAllowed('http://127.0.0.1:9000/authorize')).toBe(false);
    expect(isExternalLinkAllowed('http://127.0.0.1:9000/authorize', { allowLoopbackHttp: true })).toBe(true);
    expect(isExternalLinkAllowed('http://evil.example/', { allowLoopbackHttp: true })).toBe(false);
    expect(isExternalLinkAllowed('file:///etc/passwd', { allowLoopbackHttp: true })).toBe(false);
    expect(isExternalLinkAllowed('javascript:alert(1)')).toBe(false);
    expect(isExternalLinkAllowed('smb://server/share')).toBe(false);
  });

  it('grants the window the clipboard and nothing else', () => {
    expect(isPermissionAllowed('clipboard-sanitized-write', WINDOW_URL)).toBe(true);
    expect(isPermissionAllowed('clipboard-sanitized-write', 'https://evil.example/')).toBe(false);
    for (const permission of [
      'media',
      'notifications',
      'geolocation',
      'clipboard-read',
      'openExternal',
      'fullscreen',
    ]) {
      expect(isPermissionAllowed(permission, WINDOW_URL), permission).toBe(false);
    }
  });
});

import fc from 'fast-check';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveUiFile } from '../../src-main/core/api/index.ts';

const root = path.resolve('/srv/gatehouse/dist-renderer');

describe('resolveUiFile', () => {
  it('maps the root to index.html and hashed assets to immutable files', () => {
    expect(resolveUiFile(root, '/')).toEqual({
      file: path.join(root, 'index.html'),
      contentType: 'text/html; charset=utf-8',
      cacheControl: 'no-cache',
    });
    expect(resolveUiFile(root, '/assets/index-3f2a.js?x=1')).toMatchObject({
      file: path.join(root, 'assets', 'index-3f2a.js'),
      cacheControl: expect.stringContaining('immutable'),
    });
  });

  it.each([
    '/../secret.html',
    '/%2e%2e/secret.html',
    '/assets/..%2F..%2Fx.js',
    '/.env.json',
    '/a%5C..%5C..%5Cx.js',
    '/x%00.js',
    '/%E0%A4%A.js',
    '/index.php',
  ])('refuses %s', (requestPath) => {
    expect(resolveUiFile(root, requestPath)).toBeNull();
  });

  it('never resolves outside the root, whatever the path', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('..', '.', 'a', '%2e%2e', '%2f', '/', '\\', 'x.js', '%00', 'b.css'), { maxLength: 8 }),
        (parts) => {
          const resolved = resolveUiFile(root, '/' + parts.join('/'));
          if (resolved) expect(resolved.file.startsWith(root + path.sep)).toBe(true);
        },
      ),
    );
  });
});

import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Two builds from one file:
 * - default: the window (src-renderer → dist-renderer), served at /ui/ by the gateway and from the
 *   app's own scheme in Electron, so every URL in it is relative (base './');
 * - `--mode preload`: Electron's preload script as one CommonJS file (a sandboxed preload cannot
 *   load other files), with the channel names compiled in from the API contract.
 */
export default defineConfig(({ mode }) => {
  if (mode === 'preload') {
    return {
      build: {
        outDir: `${root}dist-main/shell`,
        emptyOutDir: false,
        minify: false,
        sourcemap: false,
        lib: { entry: `${root}src-main/shell/preload.ts`, formats: ['cjs'], fileName: () => 'preload.cjs' },
        rollupOptions: { external: ['electron'] },
      },
    };
  }
  return {
    root: `${root}src-renderer`,
    base: './',
    plugins: [react()],
    build: {
      outDir: `${root}dist-renderer`,
      emptyOutDir: true,
      // The CSP allows only the bundle's own scripts: no inline polyfill.
      modulePreload: { polyfill: false },
      target: 'es2023',
      sourcemap: false,
    },
  };
});

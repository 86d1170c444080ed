// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'dist-main/', 'dist-renderer/', 'release/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The core runs headless (CLI, tests, CI) where Electron cannot start: it must never import it.
    files: ['src-main/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'src-main/core must run without Electron; inject what you need via createGateway(deps).',
            },
            {
              name: 'electron-store',
              message: 'src-main/core must run without Electron; use conf or an injected store.',
            },
          ],
          patterns: [{ group: ['**/shell/**'], message: 'The core must not depend on the Electron shell.' }],
        },
      ],
    },
  },
  {
    // The window talks to the core only through the API contract.
    files: ['src-renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/src-main/core/*',
                '!**/src-main/core/api',
                '**/src-main/core/*/**',
                '!**/src-main/core/api/**',
              ],
              message: 'The window may import only the API contract (src-main/core/api).',
            },
          ],
        },
      ],
    },
  },
);

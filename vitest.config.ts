import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src-main/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests spawn real MCP servers and browsers; two cores do not take more at once.
    maxWorkers: 2,
    pool: 'forks',
  },
});

// End-to-end tests: Debian's Chromium driven by playwright-core against the real server serving
// the built PWA, on a fresh Postgres database. Run by `npm test` after `vite build`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.spec.ts'],
    environment: 'node',
    globalSetup: ['tests/e2e/global-setup.ts'],
    testTimeout: 90_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    retry: 0,
  },
});

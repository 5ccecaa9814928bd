// Unit and integration tests (vitest). Pure tests are `*.test.ts`; `*.pg.test.ts` need a real
// Postgres: DATABASE_URL, or the embedded one the global setup starts in a temp folder.
// End-to-end tests have their own config (vitest.e2e.config.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['server/**/*.test.ts', 'shared/**/*.test.ts', 'client/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**', 'dist/**', 'dist-server/**'],
    environment: 'node',
    globalSetup: ['server/db/test-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});

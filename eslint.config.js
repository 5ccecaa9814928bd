// The linter `npm test` runs (scripts/test.mjs): promises that nobody awaits, and the import
// boundaries of ARCHITECTURE.md. Formatting is Prettier's (`.prettierrc.json`), unused exports
// are knip's (`knip.json`); both run in `npm test` too.
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

/** A zone: files under `target` may not import from `from` (paths from the repository root). */
const zone = (target, from, message) => ({ target, from, message });

export default tseslint.config(
  { ignores: ['dist/**', 'dist-server/**', 'node_modules/**', 'data/**', 'public/**', 'scripts-repo/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js'] })] },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            zone('./shared', './client', 'shared/ is pure: it imports nothing from client/.'),
            zone('./shared', './server', 'shared/ is pure: it imports nothing from server/.'),
            zone('./client', './server', 'client/ and server/ never import each other; share through shared/.'),
            zone('./server', './client', 'client/ and server/ never import each other; share through shared/.'),
            zone('./server/intel', './server/alerts', 'intel never imports alerts: alerts use intel, and intel gets ports from server.ts.'),
            zone('./client/local', './client/components', 'client/local is the engine: it knows nothing of the UI.'),
            zone('./client/local', './client/routes', 'client/local is the engine: it knows nothing of the UI.'),
          ],
        },
      ],
    },
  },
  {
    // Tests that prove the two sides agree (the offline lookup against the server's) may import both.
    files: ['**/*.test.ts', '**/*.pg.test.ts', 'tests/**'],
    rules: { 'import-x/no-restricted-paths': 'off' },
  },
);

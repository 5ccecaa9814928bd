// `npm test`: type check, unit + integration tests (vitest, real Postgres), then the end-to-end
// tests (vitest driving Debian's Chromium through playwright-core against the built PWA).
// Runs every stage, prints one closing line "N passed, N failed", and exits non-zero if anything failed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildClient } from './build.mjs';
import { findChromiumOrPlaywright, CHROMIUM_HELP } from './chromium.mjs';

const root = new URL('..', import.meta.url).pathname;
const results = join(root, '.test-results');
mkdirSync(results, { recursive: true });
const bin = (pkg, file) => join(root, 'node_modules', pkg, file);
const failures = [];
let passed = 0;
let failed = 0;

function run(name, args, env = {}) {
  console.log(`\n▶ ${name}`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) failures.push(name);
  return r.status === 0;
}

function count(file) {
  if (!existsSync(file)) return;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + (report.numTotalTestSuites && report.success === false && !report.numFailedTests ? 1 : 0);
}

const only = process.argv[2]; // optional: "unit" or "e2e"
const chromium = await findChromiumOrPlaywright();
if (!chromium && only !== 'unit') {
  console.error(`\n✖ ${CHROMIUM_HELP}`);
  process.exit(1);
}

if (!only) run('type check (tsc)', [bin('typescript', 'bin/tsc'), '--noEmit', '-p', 'tsconfig.json']);
if (!only) {
  // The style the tree holds (each fails the run on a violation): Prettier's formatting, ESLint's
  // rules (no floating promises, no import cycles, the import boundaries) and knip's unused exports.
  run('format (prettier --check)', [bin('prettier', 'bin/prettier.cjs'), '--check', '--log-level', 'warn', '.']);
  run('lint (eslint)', [bin('eslint', 'bin/eslint.js'), '--max-warnings', '0', '.']);
  run('unused exports (knip)', [bin('knip', 'bin/knip.js'), '--no-progress']);
}

if (only !== 'e2e') {
  rmSync(join(results, 'unit.json'), { force: true });
  run('unit and integration tests (vitest)', [
    bin('vitest', 'vitest.mjs'),
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${join(results, 'unit.json')}`,
  ]);
  count(join(results, 'unit.json'));
}

if (only !== 'unit') {
  try {
    await buildClient();
  } catch (e) {
    failures.push(`client build: ${e.message}`);
  }
  rmSync(join(results, 'e2e.json'), { force: true });
  run(
    'end-to-end tests (Chromium)',
    [
      bin('vitest', 'vitest.mjs'),
      'run',
      '-c',
      'vitest.e2e.config.ts',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${join(results, 'e2e.json')}`,
    ],
    { CHROMIUM_PATH: chromium },
  );
  count(join(results, 'e2e.json'));
}

console.log('');
if (failures.length) console.log(`✖ failed stages: ${failures.join(', ')}`);
if (failures.length && failed === 0) failed = failures.length;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failures.length ? 1 : 0);

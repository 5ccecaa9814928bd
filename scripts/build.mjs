// Builds what `npm start` runs, only when its sources changed: the PWA (vite build → dist/)
// and the server (esbuild bundle of server/ + shared/ → dist-server/main.js, packages external).
import { statSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;

function newestMtime(paths) {
  let newest = 0;
  const walk = (p) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== 'node_modules' && !name.endsWith('.test.ts')) walk(join(p, name));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of paths) walk(join(root, p));
  return newest;
}

function builtAt(file) {
  const p = join(root, file);
  return existsSync(p) ? statSync(p).mtimeMs : 0;
}

export async function buildClient({ force = false } = {}) {
  const src = newestMtime(['client', 'shared', 'public', 'index.html', 'vite.config.ts', 'package.json']);
  if (!force && builtAt('dist/index.html') > src) return false;
  console.log('Building the client (vite build)…');
  const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('vite build failed');
  return true;
}

export async function buildServer({ force = false } = {}) {
  const src = newestMtime(['server', 'shared', 'package.json']);
  if (!force && builtAt('dist-server/main.js') > src) return false;
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(root, 'server/main.ts')],
    outfile: join(root, 'dist-server/main.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const force = process.argv.includes('--force');
  await buildClient({ force });
  await buildServer({ force });
}

/**
 * Serves the built PWA from STATIC_DIR (dist/): files as they are, and index.html for any other
 * page path (SPA fallback, so /incidents/<id> reloads work). index.html, sw.js and the manifest
 * are revalidated on every load; hashed assets are cached for good. Without a build, pages say
 * the client is not built instead of failing.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MiddlewareHandler } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sentpilot</title></head>
<body><h1>Sentpilot</h1><p>The server is running, but the web client is not built.
Run <code>npm run build</code> (or <code>npm start</code>, which builds it) and reload.</p></body></html>`;

const HASHED = /[-.][A-Za-z0-9_-]{8,}\.(?:js|mjs|css|woff2?|png|svg|webp)$/;

function isServerPath(path: string): boolean {
  return path === '/healthz' || path === '/api' || path.startsWith('/api/') || path === '/sync' || path.startsWith('/sync/');
}

/** A path a browser navigates to (no file extension in its last segment). */
function isPagePath(path: string): boolean {
  const last = path.slice(path.lastIndexOf('/') + 1);
  return !last.includes('.');
}

function cacheControl(path: string): string {
  if (path.startsWith('/assets/') || HASHED.test(path)) return 'public, max-age=31536000, immutable';
  return 'no-cache';
}

export function createStaticHandler(opts: { staticDir: string }): MiddlewareHandler {
  const root = resolve(opts.staticDir);
  let files: MiddlewareHandler | null = null;
  let index: MiddlewareHandler | null = null;

  return async (c, next) => {
    const method = c.req.method;
    const path = c.req.path;
    if ((method !== 'GET' && method !== 'HEAD') || isServerPath(path)) return next();
    if (!existsSync(join(root, 'index.html'))) {
      return isPagePath(path) ? c.html(NOT_BUILT, 503, { 'Cache-Control': 'no-store' }) : next();
    }
    files ??= serveStatic({ root });
    index ??= serveStatic({ root, path: 'index.html' });
    let found = true;
    const res = await files(c, async () => {
      found = false;
    });
    if (found && res instanceof Response) {
      res.headers.set('Cache-Control', cacheControl(path));
      return res;
    }
    if (!isPagePath(path)) return next();
    let indexFound = true;
    const page = await index(c, async () => {
      indexFound = false;
    });
    if (indexFound && page instanceof Response) {
      page.headers.set('Cache-Control', 'no-cache');
      return page;
    }
    return next();
  };
}

// @vitest-environment node
/**
 * Security headers, in-process: the PWA's pages and files, API answers and errors all carry the
 * strict Content-Security-Policy (nothing may frame the app), X-Frame-Options DENY, nosniff and
 * the referrer policy; the API reference page keeps its own policy, which allows exactly its
 * inline stylesheet.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { createIdentity } from '../auth/identity.ts';
import { connect } from '../db/connect.ts';
import { createLogger } from '../logger.ts';
import { apiDocument, createReferenceRoutes } from '../openapi/routes.ts';
import { createDocumentManager } from '../sync/document-manager.ts';
import { createMemoryDocumentStore } from '../sync/memory-document-store.ts';
import { securityHeaders } from './secure-headers.ts';

const logger = createLogger({ level: 'silent' });
// Nothing listens on port 1: every query fails fast.
const sql = connect('postgres://nobody@127.0.0.1:1/none', { max: 1 });
const store = createMemoryDocumentStore();
const docs = createDocumentManager({ store, logger });
let staticDir: string;
let app: Hono;

beforeAll(async () => {
  staticDir = await mkdtemp(join(tmpdir(), 'sentpilot-static-'));
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Sentpilot</title><script type="module" src="/assets/index-abcdefgh.js"></script>');
  await writeFile(join(staticDir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  const identity = createIdentity({ sql, logger, options: {}, port: 0 });
  app = createApp({ sql, docs, store, logger, identity, staticDir });
});
afterAll(async () => {
  await docs.close();
  await sql.end({ timeout: 1 });
  await rm(staticDir, { recursive: true, force: true });
});

function directives(csp: string | null): Map<string, string> {
  return new Map(
    (csp ?? '').split(';').map((d) => {
      const [name = '', ...values] = d.trim().split(/\s+/);
      return [name, values.join(' ')] as const;
    }),
  );
}

describe('security headers', () => {
  it.each([
    ['the PWA page', '/incidents/123'],
    ['the service worker', '/sw.js'],
    ['a public API answer', '/api/v1/auth/config'],
    ['an API refusal', '/api/v1/incidents'],
    ['a 404', '/api/v1/nope'],
  ])('%s carries the strict policy, X-Frame-Options DENY, nosniff and a referrer policy', async (_what, path) => {
    const r = await app.request(path, { headers: { host: 'sentpilot.example:8443' } });
    const csp = directives(r.headers.get('content-security-policy'));
    expect(csp.get('default-src')).toBe("'self'");
    expect(csp.get('script-src')).toBe("'self'");
    expect(csp.get('style-src')).toBe("'self'");
    expect(csp.get('style-src-attr')).toBe("'none'");
    // CodeMirror's themes are <style> elements (secure-headers.ts says why).
    expect(csp.get('style-src-elem')).toBe("'self' 'unsafe-inline'");
    expect(csp.get('object-src')).toBe("'none'");
    expect(csp.get('base-uri')).toBe("'self'");
    expect(csp.get('frame-ancestors')).toBe("'none'");
    expect(csp.get('connect-src')).toBe("'self' ws://sentpilot.example:8443 wss://sentpilot.example:8443");
    expect(csp.get('worker-src')).toBe("'self'");
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('referrer-policy')).toBe('same-origin');
  });

  it('names no websocket origin for a host that is not one', async () => {
    const r = await app.request('/api/v1/auth/config', { headers: { host: "evil; script-src 'unsafe-inline'" } });
    const csp = directives(r.headers.get('content-security-policy'));
    expect(csp.get('connect-src')).toBe("'self'");
    expect(csp.get('script-src')).toBe("'self'");
  });

  it('lets the API reference page keep its own policy: its inline stylesheet by hash, never framed', async () => {
    const docsApp = new Hono();
    docsApp.use('*', securityHeaders({ proxyHops: 0 }));
    docsApp.route(
      '/api',
      createReferenceRoutes(() => apiDocument()),
    );
    const r = await docsApp.request('/api/docs');
    expect(r.status).toBe(200);
    const html = await r.text();
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect(css.length).toBeGreaterThan(100);
    const csp = directives(r.headers.get('content-security-policy'));
    expect(csp.get('default-src')).toBe("'none'");
    expect(csp.get('style-src')).toBe(`'sha256-${createHash('sha256').update(css).digest('base64')}'`);
    expect(csp.get('frame-ancestors')).toBe("'none'");
    expect(html).not.toMatch(/<script|style="/);
    expect(r.headers.get('x-frame-options')).toBe('DENY');
  });
});

/**
 * Serves the OpenAPI document (GET /api/v1/openapi.json) and the reference page (GET /api/docs),
 * both built from the registry once, at their first request (not at start: the document and the
 * page are some hundreds of kB that most servers are never asked for). Both need an
 * authenticated identity (any role).
 */
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { once } from '../../shared/once.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import { buildOpenApi, type RouteSpec } from './registry.ts';
import { renderReference } from './reference-html.ts';
import { ALERT_ROUTES } from './alerts-spec.ts';
import { API_ROUTES } from './routes-spec.ts';
import { EVIDENCE_ROUTES } from '../evidence/evidence-spec.ts';
import { CONNECTOR_ROUTES } from '../playbooks/connectors-spec.ts';
import { PLAYBOOK_ROUTES } from '../playbooks/playbooks-spec.ts';
import { INTEL_FEED_ROUTES } from '../intel/intel-spec.ts';
import { INTEL_USE_ROUTES } from '../intel/intel-use-spec.ts';

const API_INFO = {
  title: 'Sentpilot',
  version: '1',
  description:
    'Local-first incident response: incidents, alerts, playbooks, evidence, identity and audit. JSON is snake_case; errors are { "error": { code, message, details } }.',
} as const;

/** Every documented /api/v1 route. */
export const ALL_ROUTES: readonly RouteSpec[] = [
  ...API_ROUTES,
  ...ALERT_ROUTES,
  ...EVIDENCE_ROUTES,
  ...PLAYBOOK_ROUTES,
  ...CONNECTOR_ROUTES,
  ...INTEL_FEED_ROUTES,
  ...INTEL_USE_ROUTES,
];

/** The whole /api/v1 document (every route plus any `extra` routes). */
export function apiDocument(extra: readonly RouteSpec[] = []): Record<string, unknown> {
  return buildOpenApi([...ALL_ROUTES, ...extra], { ...API_INFO });
}

/** `/openapi.json` (mount under /api/v1, after the auth middleware); `doc` is asked at each request. */
export function createOpenApiRoutes(doc: () => Record<string, unknown>): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/openapi.json', (c) => c.json(doc()));
  return app;
}

/**
 * The reference page's own Content-Security-Policy (kept over the app-wide one): nothing but its
 * one inline stylesheet, allowed by hash, and it may not be framed.
 */
function referencePolicy(html: string): string {
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map(
    (m) =>
      `'sha256-${createHash('sha256')
        .update(m[1] ?? '')
        .digest('base64')}'`,
  );
  return `default-src 'none'; style-src ${styles.join(' ') || "'none'"}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

/** `/docs` (mount under /api, behind the auth middleware); the page is rendered at its first request. */
export function createReferenceRoutes(doc: () => Record<string, unknown>): Hono<AuthEnv> {
  const page = once(() => {
    const html = renderReference(doc());
    return { html, policy: referencePolicy(html) };
  });
  const app = new Hono<AuthEnv>();
  app.get('/docs', (c) => {
    const { html, policy } = page();
    c.header('content-security-policy', policy);
    return c.html(html);
  });
  return app;
}

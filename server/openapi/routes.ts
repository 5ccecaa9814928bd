/**
 * Serves the OpenAPI document (GET /api/v1/openapi.json) and the reference page (GET /api/docs),
 * both built once from the registry. Both need an authenticated identity (any role).
 */
import { Hono } from 'hono';
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

export const API_INFO = {
  title: 'Sentpilot',
  version: '1',
  description: 'Local-first incident response: incidents, alerts, playbooks, evidence, identity and audit. JSON is snake_case; errors are { "error": { code, message, details } }.',
} as const;

/** Every documented /api/v1 route. */
export const ALL_ROUTES: readonly RouteSpec[] = [...API_ROUTES, ...ALERT_ROUTES, ...EVIDENCE_ROUTES, ...PLAYBOOK_ROUTES, ...CONNECTOR_ROUTES, ...INTEL_FEED_ROUTES, ...INTEL_USE_ROUTES];

/** The whole /api/v1 document (every route plus any `extra` routes). */
export function apiDocument(extra: readonly RouteSpec[] = []): Record<string, unknown> {
  return buildOpenApi([...ALL_ROUTES, ...extra], { ...API_INFO });
}

/** `/openapi.json` (mount under /api/v1, after the auth middleware). */
export function createOpenApiRoutes(doc: Record<string, unknown>): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/openapi.json', (c) => c.json(doc));
  return app;
}

/** `/docs` (mount under /api, behind the auth middleware). */
export function createReferenceRoutes(doc: Record<string, unknown>): Hono<AuthEnv> {
  const html = renderReference(doc);
  const app = new Hono<AuthEnv>();
  app.get('/docs', (c) => {
    c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'");
    return c.html(html);
  });
  return app;
}

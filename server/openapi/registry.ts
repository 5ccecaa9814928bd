/**
 * The OpenAPI registry: each /api/v1 route described once with the zod schemas it validates
 * and answers with, turned into an OpenAPI 3.1 document by `buildOpenApi` (z.toJSONSchema:
 * requests as their input shape, responses as their output shape). Named schemas become
 * components referenced with $ref.
 */
import { z } from 'zod';
import type { Action } from '../../shared/permissions.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A schema with the component name it is published under. */
export interface Named {
  name: string;
  schema: z.ZodType;
}

export interface RouteSpec {
  method: Method;
  /** OpenAPI path under /api/v1, e.g. `/incidents/{id}`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** The permission required (omitted for public routes and any-authenticated routes). */
  action?: Action;
  /** False for the public routes (login, auth config, invite acceptance). */
  auth?: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: Named;
  /** Status → description and (optionally) the body schema. */
  responses: Record<number, { description: string; schema?: Named }>;
}

type Json = Record<string, unknown>;

const ERROR_SCHEMA = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

const ERROR_RESPONSES: Record<number, string> = {
  400: 'Invalid input; the message names the parameter or body field',
  401: 'Not authenticated',
  403: 'The role or grant does not allow this',
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete out['$schema'];
  return out;
}

function parameters(where: 'path' | 'query', schema: z.ZodObject | undefined): Json[] {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input');
  const props = (js['properties'] ?? {}) as Record<string, Json>;
  const required = new Set((js['required'] ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof s['description'] === 'string' ? { description: s['description'] } : {}),
    schema: s,
  }));
}

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
}

/** The OpenAPI 3.1 document of `routes`. */
export function buildOpenApi(routes: readonly RouteSpec[], info: OpenApiInfo): Json {
  const components: Record<string, Json> = { Error: jsonSchema(ERROR_SCHEMA, 'output') };
  const seen = new Map<string, z.ZodType>();
  const ref = (n: Named, io: 'input' | 'output'): Json => {
    const name = n.name;
    const prior = seen.get(name);
    if (prior && prior !== n.schema) throw new Error(`two schemas published as ${name}`);
    if (!prior) {
      seen.set(name, n.schema);
      components[name] = jsonSchema(n.schema, io);
    }
    return { $ref: `#/components/schemas/${name}` };
  };
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const responses: Record<string, Json> = {};
    for (const [status, res] of Object.entries(r.responses)) {
      const schema = res.schema ? ref(res.schema, 'output') : Number(status) >= 400 ? { $ref: '#/components/schemas/Error' } : null;
      responses[status] = schema ? { description: res.description, content: { 'application/json': { schema } } } : { description: res.description };
    }
    const errors = r.auth === false ? { 400: ERROR_RESPONSES[400] } : ERROR_RESPONSES;
    for (const [status, description] of Object.entries(errors)) {
      if (status === '400' && !r.params && !r.query && !r.body) continue;
      responses[status] ??= { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    const op: Json = {
      operationId: `${r.method}${r.path.replace(/\{([^}]+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ? ch.toUpperCase() : ''))}`,
      tags: [r.tag],
      summary: r.summary,
      ...(r.description || r.action ? { description: [r.description, r.action ? `Requires \`${r.action}\`.` : ''].filter(Boolean).join(' ') } : {}),
      parameters: [...parameters('path', r.params), ...parameters('query', r.query)],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(r.body, 'input') } } } } : {}),
      responses,
      ...(r.auth === false ? { security: [] } : {}),
    };
    (paths[r.path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }, { session: [] }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API token (sp_…)' },
        session: { type: 'apiKey', in: 'cookie', name: 'sp_session' },
      },
    },
  };
}

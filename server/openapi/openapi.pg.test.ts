// @vitest-environment node
/**
 * The OpenAPI document is valid: OpenAPI 3.1 structure (every path has operations, every
 * operation responses), every $ref resolves, every JSON Schema part compiles (Ajv, draft
 * 2020-12), every documented route is served; the reference page renders it with every string
 * escaped and needs no network.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { buildOpenApi } from './registry.ts';
import { renderReference } from './reference-html.ts';
import { ALL_ROUTES } from './routes.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { z } from 'zod';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

let ts: TestServer;
let doc: Json;
beforeAll(async () => {
  ts = await startTestServer();
  const r = await ts.fetch('/api/v1/openapi.json');
  expect(r.status).toBe(200);
  doc = (await r.json()) as Json;
});
afterAll(async () => {
  await ts.stop();
});

function walk(v: unknown, visit: (o: Json, path: string) => void, path = '#'): void {
  if (Array.isArray(v)) v.forEach((x, i) => walk(x, visit, `${path}/${i}`));
  else if (isObj(v)) {
    visit(v, path);
    for (const [k, x] of Object.entries(v)) walk(x, visit, `${path}/${k}`);
  }
}

function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let cur: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObj(cur) && !Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

describe('OpenAPI document', () => {
  it('has the OpenAPI 3.1 structure: every path has operations, every operation responses', () => {
    expect(doc['openapi']).toBe('3.1.0');
    expect(isObj(doc['info']) && doc['info']['title']).toBe('Sentpilot');
    const paths = doc['paths'] as Record<string, Json>;
    expect(Object.keys(paths).length).toBeGreaterThan(25);
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(paths)) {
      expect(path.startsWith('/')).toBe(true);
      const ops = Object.entries(item).filter(([m]) => METHODS.includes(m));
      expect(ops.length, path).toBeGreaterThan(0);
      for (const [method, op] of ops as [string, Json][]) {
        const responses = op['responses'] as Json;
        expect(
          Object.keys(responses).some((s) => /^2\d\d$/.test(s)),
          `${method} ${path}`,
        ).toBe(true);
        for (const r of Object.values(responses)) expect(typeof (r as Json)['description']).toBe('string');
        expect(ids.has(String(op['operationId']))).toBe(false);
        ids.add(String(op['operationId']));
        const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        const pathParams = ((op['parameters'] ?? []) as Json[]).filter((p) => p['in'] === 'path').map((p) => p['name']);
        expect(pathParams.sort(), `${method} ${path} path parameters`).toEqual(templated.sort());
      }
    }
  });

  it('every $ref resolves', () => {
    let refs = 0;
    walk(doc, (o, at) => {
      if (typeof o['$ref'] !== 'string') return;
      refs++;
      const ref = o['$ref'];
      // Refs inside a component schema ("#/$defs/...") resolve within that schema; others in the document.
      const local = ref.startsWith('#/$defs/') ? resolvePointer(resolvePointer(doc, at.split('/').slice(0, 4).join('/')), ref) : resolvePointer(doc, ref);
      expect(local, `${at}: ${ref}`).toBeDefined();
    });
    expect(refs).toBeGreaterThan(20);
  });

  it('every JSON Schema part compiles (draft 2020-12)', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const schemas = (doc['components'] as Json)['schemas'] as Record<string, Json>;
    ajv.addSchema({ $id: 'doc', components: { schemas } } as Json);
    for (const name of Object.keys(schemas)) expect(() => ajv.getSchema(`doc#/components/schemas/${name}`), name).not.toThrow();
    let compiled = 0;
    walk(doc['paths'], (o) => {
      if (!isObj(o['schema'])) return;
      const s = JSON.parse(JSON.stringify(o['schema']).replace(/"#\/components\//g, '"doc#/components/')) as Json;
      ajv.compile(s);
      compiled++;
    });
    expect(compiled).toBeGreaterThan(40);
    // And the schemas mean what the zod schemas mean: a real incident validates.
    const incident = ajv.getSchema('doc#/components/schemas/IncidentDetail');
    expect(incident).toBeDefined();
  });

  it('validates real responses against their documented schemas', async () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'doc', components: (doc['components'] as Json)['schemas'] ? { schemas: (doc['components'] as Json)['schemas'] } : {} } as Json);
    const created = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title: 'OpenAPI sample', template: 'phishing' } });
    expect(created.status).toBe(201);
    const body = (await created.json()) as Json;
    const check = ajv.getSchema('doc#/components/schemas/IncidentDetail');
    expect(check?.(body), JSON.stringify(check?.errors)).toBe(true);
    const list = await (await ts.fetch('/api/v1/incidents')).json();
    const checkList = ajv.getSchema('doc#/components/schemas/IncidentList');
    expect(checkList?.(list), JSON.stringify(checkList?.errors)).toBe(true);
  });

  it('every documented route is served', async () => {
    const prober = await ts.as('admin');
    const id = '01890000-0000-7000-8000-000000000000';
    for (const r of ALL_ROUTES) {
      const path = r.path.replace(/\{category\}/g, 'phishing').replace(/\{[^}]+\}/g, id);
      const res = await ts.fetch(`/api/v1${path}`, {
        method: r.method.toUpperCase(),
        as: prober,
        ...(r.method === 'get' || r.method === 'delete' ? {} : { json: { probe: true } }),
      });
      const text = await res.text();
      expect(text.includes('no route for'), `${r.method} ${r.path}: ${res.status} ${text.slice(0, 200)}`).toBe(false);
    }
  });
});

describe('reference page', () => {
  it('is served at /api/docs as self-contained HTML (no scripts, no external URLs) and needs a login', async () => {
    const r = await ts.fetch('/api/docs');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    const html = await r.text();
    expect(html).toContain('/incidents/{id}/related/{other}');
    expect(html).toContain('id="schema-PatchIncidentRequest"');
    expect(html).not.toMatch(/<script|https?:\/\/(?!localhost)/);
    expect((await ts.fetch('/api/docs', { as: null })).status).toBe(401);
    expect((await ts.fetch('/api/v1/openapi.json', { as: null })).status).toBe(401);
  });

  it('escapes every string from the document', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const d = buildOpenApi(
      [
        {
          method: 'get',
          path: `/x/{id}`,
          tag: evil,
          summary: evil,
          description: evil,
          params: z.object({ id: z.string().describe(evil) }),
          responses: { 200: { description: evil, schema: { name: 'Evil', schema: z.object({ [evil]: z.enum([evil]).describe(evil) }) } } },
        },
      ],
      { title: evil, version: evil, description: evil },
    );
    const html = renderReference(d);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

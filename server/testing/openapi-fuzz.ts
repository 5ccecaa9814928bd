/**
 * Requests for the OpenAPI fuzz test (server/openapi/fuzz.pg.test.ts), made from the served
 * document alone: valid ones from each operation's JSON Schemas (json-schema-faker, draft
 * 2020-12, seeded) and invalid ones by mutating a valid one (wrong types, missing fields,
 * oversized and hostile strings, `__proto__` keys, deep nesting, malformed JSON, unknown and
 * malformed ids, `..` and `%00` in path segments: fuzz-inputs.ts). Everything is drawn from one
 * seeded PRNG so a seed replays the same choices. Pure: the test sends the requests.
 */
import { generateSync, registerFormat, type JsonSchema } from 'json-schema-faker';
import { deepNesting, encodeLoose, HOSTILE_SEGMENTS, HOSTILE_STRINGS, MALFORMED_BODIES, seededUuid, type Rng } from './fuzz-inputs.ts';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// Every generated URI points at a closed port on loopback, so a feed pull, connector call or
// playbook action started by a fuzzed request never leaves the machine (the feed guard refuses
// loopback before connecting; the test gives the playbooks a fetch that refuses everything).
registerFormat('uri', (random) => `http://127.0.0.1:9/fuzz/${random.int(0, 9999)}`);

export interface Operation {
  method: string;
  /** The document's path template, e.g. `/incidents/{id}`. */
  path: string;
  operationId: string;
  pathParams: { name: string; schema: Json }[];
  query: { name: string; required: boolean; schema: Json }[];
  /** The request body's JSON Schema (components resolved), when the operation takes one. */
  body: Json | null;
}

/** Every operation of an OpenAPI 3.1 document. */
export function operationsOf(doc: Json): Operation[] {
  const components = ((doc['components'] as Json | undefined)?.['schemas'] ?? {}) as Record<string, Json>;
  const resolve = (s: Json): Json => {
    const ref = s['$ref'];
    if (typeof ref !== 'string') return s;
    const target = components[ref.replace('#/components/schemas/', '')];
    if (!target) throw new Error(`unresolved ${ref}`);
    return target;
  };
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc['paths'] as Record<string, Json>)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method) || !isObj(raw)) continue;
      const params = (raw['parameters'] ?? []) as Json[];
      const body = ((raw['requestBody'] as Json | undefined)?.['content'] as Json | undefined)?.['application/json'] as Json | undefined;
      out.push({
        method: method.toUpperCase(),
        path,
        operationId: String(raw['operationId']),
        pathParams: params.filter((p) => p['in'] === 'path').map((p) => ({ name: String(p['name']), schema: p['schema'] as Json })),
        query: params
          .filter((p) => p['in'] === 'query')
          .map((p) => ({ name: String(p['name']), required: p['required'] === true, schema: p['schema'] as Json })),
        body: body ? resolve(body['schema'] as Json) : null,
      });
    }
  }
  return out;
}

/** One request to send: `path` is already encoded (it may hold deliberate raw `..` or `%00`). */
export interface FuzzRequest {
  /** What this request tries, for the failure report. */
  kind: string;
  method: string;
  path: string;
  contentType?: string;
  body?: string | Buffer;
}

/** What the server handed out, for path parameters and id fields to point at. */
export interface Pools {
  /** Ids per resource (the path segment before a parameter: `incidents`, `evidence`, ...). */
  ids: Map<string, string[]>;
  /** The incident a child (an evidence item, a guest) belongs to. */
  incidentOf: Map<string, string>;
}

/** The resource a path parameter names: `/incidents/{id}/evidence/{evidenceId}` → evidence. */
function resourceOf(op: Operation, param: string): string {
  const segments = op.path.split('/');
  const i = segments.indexOf(`{${param}}`);
  const before = segments[i - 1] ?? '';
  if (param === 'other') return 'incidents';
  if (param === 'userId') return 'guests';
  if (before === 'hooks') return 'workflows';
  return before;
}

const JSF = { maxItems: 4, maxLength: 80, optionalsProbability: 0.5 } as const;

/** A value valid for `schema` (seeded from `rng`). */
function sample(schema: Json, rng: Rng): unknown {
  return generateSync(schema as JsonSchema, { ...JSF, seed: rng.int(1, 2 ** 31 - 1) });
}

/** Encode a generated path parameter value the way a client would. */
const seg = (v: unknown): string => encodeLoose(String(v));

function fillPath(op: Operation, values: Record<string, string>): string {
  return op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => values[name] ?? '');
}

function queryString(entries: [string, string][]): string {
  return entries.length ? `?${entries.map(([k, v]) => `${encodeLoose(k)}=${encodeLoose(v)}`).join('&')}` : '';
}

// Some fields name another resource by id: point them at real ones half the time.
const ID_FIELDS: Record<string, string> = { incident_id: 'incidents', playbook_id: 'workflows', feed_id: 'feeds', other: 'incidents' };

function useKnownIds(value: unknown, pools: Pools, rng: Rng): unknown {
  if (Array.isArray(value)) return value.map((v) => useKnownIds(v, pools, rng));
  if (!isObj(value)) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    const pool = ID_FIELDS[k] ? pools.ids.get(ID_FIELDS[k]) : undefined;
    if (pool?.length && typeof v === 'string' && rng.chance(0.6)) out[k] = rng.pick(pool);
    // An address the server takes for one (the schemas say only "a string").
    else if (k === 'email' && typeof v === 'string' && rng.chance(0.7)) out[k] = `fuzz-${rng.int(1, 1e9)}@test.local`;
    else out[k] = useKnownIds(v, pools, rng);
  }
  return out;
}

interface Parts {
  pathValues: Record<string, string>;
  query: [string, string][];
  body: unknown;
  hasBody: boolean;
}

function validParts(op: Operation, pools: Pools, rng: Rng): Parts {
  const raw: Record<string, string> = {};
  for (const p of op.pathParams) {
    const pool = pools.ids.get(resourceOf(op, p.name));
    raw[p.name] = pool?.length && rng.chance(0.85) ? rng.pick(pool) : String(sample(p.schema, rng));
  }
  // `/incidents/{id}/evidence/{evidenceId}`: mostly the incident the item belongs to.
  for (const p of op.pathParams) {
    const owner = pools.incidentOf.get(raw[p.name] ?? '');
    if (owner && p.name !== 'id' && 'id' in raw && resourceOf(op, 'id') === 'incidents' && rng.chance(0.85)) raw['id'] = owner;
  }
  const pathValues = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, seg(v)]));
  const query: [string, string][] = [];
  for (const q of op.query) {
    if (!q.required && !rng.chance(0.5)) continue;
    const pool = ID_FIELDS[q.name] ? pools.ids.get(ID_FIELDS[q.name] ?? '') : undefined;
    query.push([q.name, String(pool?.length && rng.chance(0.6) ? rng.pick(pool) : sample(q.schema, rng))]);
  }
  const body = op.body ? useKnownIds(sample(op.body, rng), pools, rng) : undefined;
  return { pathValues, query, body, hasBody: op.body !== null };
}

function build(op: Operation, kind: string, parts: Parts, raw?: { body: string | Buffer; contentType?: string }): FuzzRequest {
  const path = `/api/v1${fillPath(op, parts.pathValues)}${queryString(parts.query)}`;
  if (raw) return { kind, method: op.method, path, body: raw.body, ...(raw.contentType !== undefined ? { contentType: raw.contentType } : {}) };
  if (!parts.hasBody || parts.body === undefined) return { kind, method: op.method, path };
  return { kind, method: op.method, path, contentType: 'application/json', body: JSON.stringify(parts.body) };
}

/** A valid request of `op` (path ids from `pools` most of the time). */
export function validRequest(op: Operation, pools: Pools, rng: Rng): FuzzRequest {
  return build(op, 'valid', validParts(op, pools, rng));
}

type Path = (string | number)[];

/** Every node of a JSON value with its path (the root is `[]`). */
function nodes(value: unknown, at: Path = [], out: { path: Path; value: unknown }[] = []): { path: Path; value: unknown }[] {
  out.push({ path: at, value });
  if (Array.isArray(value)) value.forEach((v, i) => nodes(v, [...at, i], out));
  else if (isObj(value)) for (const [k, v] of Object.entries(value)) nodes(v, [...at, k], out);
  return out;
}

function setAt(root: unknown, path: Path, v: unknown): unknown {
  if (path.length === 0) return v;
  const [head, ...rest] = path;
  if (Array.isArray(root)) return root.map((x, i) => (i === head ? setAt(x, rest, v) : x));
  if (isObj(root)) return Object.fromEntries(Object.entries(root).map(([k, x]) => [k, k === head ? setAt(x, rest, v) : x]));
  return root;
}

function removeAt(root: unknown, path: Path): unknown {
  if (path.length === 0) return root;
  const [head, ...rest] = path;
  if (rest.length === 0) {
    if (Array.isArray(root)) return root.filter((_x, i) => i !== head);
    if (isObj(root)) return Object.fromEntries(Object.entries(root).filter(([k]) => k !== head));
    return root;
  }
  if (Array.isArray(root)) return root.map((x, i) => (i === head ? removeAt(x, rest) : x));
  if (isObj(root)) return Object.fromEntries(Object.entries(root).map(([k, x]) => [k, k === head ? removeAt(x, rest) : x]));
  return root;
}

/** A value of another JSON type than `v`. */
function wrongType(v: unknown, rng: Rng): unknown {
  const options: unknown[] = [42, -1.5, 2 ** 63, 'a string', true, null, [], {}, [1, 'two'], { nested: { deeper: [] } }];
  const differs = options.filter((o) => typeof o !== typeof v || Array.isArray(o) !== Array.isArray(v) || (o === null) !== (v === null));
  return rng.pick(differs);
}

/** A JSON text with a `__proto__` (or `constructor.prototype`) key in one of the body's objects. */
function withProtoKey(body: unknown, rng: Rng): string {
  const key = rng.pick(['"__proto__":{"is_admin":true,"role":"admin"}', '"constructor":{"prototype":{"polluted":true}}', '"__proto__":null']);
  const objects = nodes(body).filter((n) => isObj(n.value));
  if (objects.length === 0) return `{${key}}`;
  const target = rng.pick(objects);
  // JSON.stringify would not write a real __proto__ key: put a marker there and swap it in the text.
  const text = JSON.stringify(setAt(body, target.path, { __fuzz_proto_marker__: 0, ...(target.value as Json) }));
  return text.replace('"__fuzz_proto_marker__":0', key);
}

/**
 * Up to `count` invalid requests of `op`, each a different mutation of a valid one, chosen by `rng`.
 * Ids in the path are sometimes unknown UUIDs or not ids at all; bodies break their schema.
 */
export function invalidRequests(op: Operation, pools: Pools, rng: Rng, count: number): FuzzRequest[] {
  const mutations: ((p: Parts) => FuzzRequest | null)[] = [];
  if (op.pathParams.length) {
    mutations.push((p) => build(op, 'path: not an id', { ...p, pathValues: { ...p.pathValues, [rng.pick(op.pathParams).name]: rng.pick(HOSTILE_SEGMENTS) } }));
    mutations.push((p) => build(op, 'path: unknown uuid', { ...p, pathValues: Object.fromEntries(op.pathParams.map((x) => [x.name, seededUuid(rng)])) }));
  }
  if (op.query.length) {
    mutations.push((p) => {
      const name = rng.pick(op.query).name;
      return build(op, 'query: hostile value', { ...p, query: [...p.query.filter(([k]) => k !== name), [name, rng.pick(HOSTILE_STRINGS)]] });
    });
    mutations.push((p) => {
      const q = rng.pick(op.query);
      return build(op, 'query: wrong type', {
        ...p,
        query: [[q.name, rng.pick(['abc', '-1', '1.5', '1e309', '99999999999999999999999', 'true', '[]', '{}', ''])]],
      });
    });
    mutations.push((p) => build(op, 'query: repeated and unknown', { ...p, query: [...p.query, ...p.query, ['__proto__', 'x'], ['constructor', 'y']] }));
  }
  mutations.push((p) => ({
    ...build(op, 'query: malformed encoding', p),
    path: `${build(op, '', p).path}${p.query.length ? '&' : '?'}${rng.pick(['%ZZ=1', 'q=%ed%a0%80', 'limit=%00', '%=%', 'a=%ff'])}`,
  }));
  if (op.body) {
    mutations.push((p) => {
      const target = rng.pick(nodes(p.body));
      return build(op, `body: wrong type at /${target.path.join('/')}`, { ...p, body: setAt(p.body, target.path, wrongType(target.value, rng)) });
    });
    mutations.push((p) => {
      const props = nodes(p.body).filter((n) => n.path.length > 0);
      const required = ((op.body?.['required'] ?? []) as string[]).filter((k) => isObj(p.body) && k in p.body);
      const path = required.length && rng.chance(0.6) ? [rng.pick(required)] : props.length ? rng.pick(props).path : null;
      return path ? build(op, `body: missing /${path.join('/')}`, { ...p, body: removeAt(p.body, path) }) : build(op, 'body: empty object', { ...p, body: {} });
    });
    mutations.push((p) => {
      const strings = nodes(p.body).filter((n) => typeof n.value === 'string');
      const s = rng.pick(HOSTILE_STRINGS);
      const target = strings.length ? rng.pick(strings).path : rng.pick(nodes(p.body)).path;
      return build(op, `body: hostile string at /${target.join('/')}`, { ...p, body: setAt(p.body, target, s) });
    });
    mutations.push((p) => {
      const strings = nodes(p.body).filter((n) => typeof n.value === 'string');
      if (!strings.length) return null;
      const target = rng.pick(strings).path;
      return build(op, `body: oversized string at /${target.join('/')}`, {
        ...p,
        body: setAt(p.body, target, 'A'.repeat(rng.pick([301, 2_049, 70_000, 600_000]))),
      });
    });
    mutations.push((p) => build(op, 'body: __proto__ key', p, { body: withProtoKey(p.body, rng), contentType: 'application/json' }));
    mutations.push((p) => {
      const target = rng.pick(nodes(p.body)).path;
      const text = JSON.stringify(setAt(p.body, target, '__fuzz_deep__')).replace('"__fuzz_deep__"', deepNesting(rng.pick([100, 5_000])));
      return build(op, `body: deep nesting at /${target.join('/')}`, p, { body: text, contentType: 'application/json' });
    });
    mutations.push((p) => build(op, 'body: malformed JSON', p, { body: rng.pick(MALFORMED_BODIES), contentType: 'application/json' }));
    mutations.push((p) =>
      build(op, 'body: not JSON', p, {
        body: rng.pick(['a=b&c=d', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--', 'plain text']),
        contentType: rng.pick(['application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=x', 'text/plain']),
      }),
    );
    mutations.push((p) =>
      build(op, 'body: extra unknown fields', { ...p, body: isObj(p.body) ? { ...p.body, unknown_field: 'x', __fuzz: [1] } : [p.body, p.body] }),
    );
  } else if (op.method !== 'GET' && op.method !== 'DELETE') {
    // No JSON body documented (uploads, imports, actions): send one anyway, and raw bytes.
    mutations.push((p) =>
      build(op, 'unexpected body', p, {
        body: rng.pick(MALFORMED_BODIES),
        contentType: rng.pick(['application/json', 'application/octet-stream', 'text/csv', 'text/plain']),
      }),
    );
  }
  // A seeded shuffle, then round robin: each operation gets as many different mutations as it can.
  const order = mutations
    .map((m) => ({ m, k: rng.next() }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.m);
  const out: FuzzRequest[] = [];
  // An operation with few mutations (no body, no query) gets each a few times, not `count`.
  for (let i = 0; i < Math.min(count, 3 * order.length); i++) {
    const r = order[i % order.length]?.(validParts(op, pools, rng));
    if (r) out.push(r);
  }
  return out;
}

/**
 * Every fixed hostile input once for `op`, whatever the seed: each malformed body (for an
 * operation that takes one, or any write) and each hostile path segment (in a parameter chosen
 * by `rng`). The random mutations above vary around these.
 */
export function hostileCorpus(op: Operation, pools: Pools, rng: Rng): FuzzRequest[] {
  const out: FuzzRequest[] = [];
  if (op.body || (op.method !== 'GET' && op.method !== 'DELETE')) {
    for (const body of MALFORMED_BODIES) out.push(build(op, 'corpus: malformed body', validParts(op, pools, rng), { body, contentType: 'application/json' }));
  }
  if (op.pathParams.length) {
    for (const segment of HOSTILE_SEGMENTS) {
      const p = validParts(op, pools, rng);
      out.push(build(op, 'corpus: hostile path segment', { ...p, pathValues: { ...p.pathValues, [rng.pick(op.pathParams).name]: segment } }));
    }
  }
  return out;
}

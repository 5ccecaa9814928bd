// @vitest-environment node
/**
 * Fuzzing every operation of the served OpenAPI document (GET /api/v1/openapi.json) against the
 * real server: for each, a few valid requests made from its JSON Schemas, more invalid ones, and
 * every fixed malformed body and hostile path segment once (server/testing/openapi-fuzz.ts), sent
 * as an admin (session or token), a viewer and nobody. State-ending operations (deletes, cancels,
 * revocations) run last; logout gets a throwaway identity each time; playbooks get no network.
 * No answer may be a 5xx or take longer than 5 s; every failure is collected and reported
 * together with the seed (FUZZ_SEED=<n> replays the same choices; ids the server hands out differ).
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../testing/fuzz-inputs.ts';
import { hostileCorpus, invalidRequests, operationsOf, validRequest, type FuzzRequest, type Operation, type Pools } from '../testing/openapi-fuzz.ts';
import { startTestServer, type TestIdentity, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 22);
const VALID_PER_OPERATION = 8;
const INVALID_PER_OPERATION = 24;
const SLOW_MS = 5_000;
const GIVE_UP_MS = 20_000;

type Json = Record<string, unknown>;
type Who = { name: string; identity: TestIdentity | null };

// Playbook actions started by fuzzed alerts and runs must not reach the network.
const noNetwork: typeof fetch = async (input) => {
  throw new TypeError(`the fuzz test has no network (${String(input)})`);
};

let ts: TestServer;
let doc: Json;
let adminToken: TestIdentity;
let viewer: TestIdentity;
const pools: Pools = { ids: new Map(), incidentOf: new Map() };
// A fresh connection per request: the server may close one after refusing a body unread, and a
// reused socket would then fail the next request on the client's side.
const agent = new http.Agent({ keepAlive: false });

interface Outcome {
  status: number;
  ms: number;
  text: string;
  error?: string;
}

function send(r: FuzzRequest, who: TestIdentity | null): Promise<Outcome> {
  const started = performance.now();
  const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8');
  const headers: Record<string, string> = { ...(who?.headers ?? {}) };
  if (r.contentType) headers['content-type'] = r.contentType;
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve) => {
    const done = (o: Omit<Outcome, 'ms'>) => resolve({ ...o, ms: Math.round(performance.now() - started) });
    let req: http.ClientRequest;
    try {
      req = http.request({ host: '127.0.0.1', port: ts.server.port, method: r.method, path: r.path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < 4096) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => done({ status: res.statusCode ?? 0, text: '', error: e.message }));
      });
    } catch (e) {
      // Node refused to write the request (a test bug: paths are encoded before they get here).
      return done({ status: 0, text: '', error: `not sent: ${(e as Error).message}` });
    }
    req.setTimeout(GIVE_UP_MS, () => req.destroy(new Error(`no answer in ${GIVE_UP_MS} ms`)));
    req.on('error', (e) => done({ status: 0, text: '', error: e.message }));
    req.end(body);
  });
}

/** A fixture call that must succeed (its body parsed). */
async function must(method: string, path: string, json?: unknown, as: TestIdentity = ts.admin): Promise<Json> {
  const r = await ts.fetch(`/api/v1${path}`, { method, as, ...(json === undefined ? {} : { json }) });
  const text = await r.text();
  expect(r.status, `${method} ${path}: ${text.slice(0, 300)}`).toBeLessThan(300);
  return (text ? JSON.parse(text) : {}) as Json;
}

function remember(pool: string, ...ids: unknown[]): void {
  const list = pools.ids.get(pool) ?? [];
  for (const id of ids) if ((typeof id === 'string' || typeof id === 'number') && !list.includes(String(id))) list.push(String(id));
  pools.ids.set(pool, list.slice(0, 24));
}

/** Remember a child of an incident (evidence item, guest), so both ids go in one path together. */
function rememberChild(pool: string, id: unknown, incident: unknown): void {
  remember(pool, id);
  if (typeof id === 'string' && typeof incident === 'string') pools.incidentOf.set(id, incident);
}

/** Ids of what a successful write created, so later operations use them in their paths. */
function harvest(op: Operation, r: Outcome): void {
  if (r.status < 200 || r.status >= 300 || op.method === 'GET' || op.method === 'DELETE') return;
  let body: unknown;
  try {
    body = JSON.parse(r.text);
  } catch {
    return;
  }
  if (typeof body !== 'object' || body === null) return;
  const b = body as Json;
  const last =
    op.path
      .split('/')
      .filter((s) => s && !s.startsWith('{'))
      .at(-1) ?? '';
  const sub = (k: string): Json => (typeof b[k] === 'object' && b[k] !== null ? (b[k] as Json) : {});
  if (last === 'users') remember('users', sub('user')['id']);
  else if (last === 'tokens') remember('tokens', sub('token')['id']);
  else if (last === 'guests') rememberChild('guests', ((sub('grant')['user'] ?? {}) as Json)['id'], sub('grant')['incident_id']);
  else if (last === 'evidence') remember('evidence-uploads', b['id']);
  else if (last === 'execute-workflow') remember('runs', b['id']);
  else if (last === 'alerts') remember('alerts', ...((b['items'] ?? []) as Json[]).map((i) => i['alert_id']));
  else if (op.method === 'POST' && !op.path.endsWith('}') && ['incidents', 'assets', 'alert-mappings', 'feeds', 'action-items'].includes(last))
    remember(last, b['id']);
}

/** Test-made resources for the path parameters, so the fuzz reaches past "404 no such id". */
async function seedFixtures(): Promise<void> {
  const a = await must('POST', '/incidents', { title: 'Fuzz phishing', template: 'phishing', observables: [{ kind: 'domain', value: 'evil.example' }] });
  const b = await must('POST', '/incidents', {
    title: 'Fuzz exfiltration',
    category: 'data_exfiltration',
    severity: 'S2',
    observables: [{ kind: 'ip', value: '203.0.113.9' }],
  });
  remember('incidents', a['id'], b['id']);
  remember('action-items', (await must('POST', `/incidents/${String(b['id'])}/action-items`, { title: 'Fuzz item', type: 'detect', due: '2020-01-01' }))['id']);
  const alerts = await must('POST', '/alerts', { source: 'fuzz', type: 'test', title: 'Fuzz alert', severity: 'high', observables: { ips: ['203.0.113.10'] } });
  remember('alerts', ...((alerts['items'] ?? []) as Json[]).map((i) => i['alert_id']));
  remember('assets', (await must('POST', '/assets', { kind: 'host', name: 'fuzz-host-1', criticality: 4 }))['id']);
  remember('alert-mappings', (await must('POST', '/alert-mappings', { name: 'fuzz mapping', fields: { title: '/msg', source: '/src', type: '/kind' } }))['id']);
  remember('users', ((await must('POST', '/users', { email: 'fuzz-victim@test.local', display_name: 'Fuzz victim', role: 'analyst' }))['user'] as Json)['id']);
  remember('tokens', ((await must('POST', '/tokens', { name: 'fuzz token', role: 'viewer' }))['token'] as Json)['id']);
  const grant = (await must('POST', `/incidents/${String(a['id'])}/guests`, { email: 'fuzz-guest@test.local', display_name: 'Fuzz guest', access: 'read' }))[
    'grant'
  ] as Json;
  rememberChild('guests', (grant['user'] as Json)['id'], a['id']);

  const feed = await must('POST', '/feeds', { name: 'fuzz feed', url: null, format: 'plain', types: ['ipv4', 'domain'] });
  remember('feeds', feed['id']);
  const pushed = await ts.fetch(`/api/v1/feeds/${String(feed['id'])}/push`, {
    method: 'POST',
    as: adminToken,
    headers: { 'content-type': 'text/plain' },
    body: '203.0.113.7\nevil.example\n',
  });
  expect(pushed.status, await pushed.clone().text()).toBeLessThan(300);
  remember('indicators', ...(((await must('GET', '/indicators'))['items'] ?? []) as Json[]).map((i) => i['id']));

  // Evidence: one stored item and one upload left open (an upload belongs to the credential that began it).
  const bytes = Buffer.from('fuzz evidence\n');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const base = { type: 'log', file_name: 'fuzz.log', collected_at: new Date().toISOString(), size: bytes.length, sha256 };
  const up = await must('POST', `/incidents/${String(a['id'])}/evidence`, { ...base, upload_key: 'fuzz-upload-1' }, adminToken);
  const chunk = await ts.fetch(`/api/v1/evidence-uploads/${String(up['id'])}?offset=0`, {
    method: 'PUT',
    as: adminToken,
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  expect(chunk.status, await chunk.clone().text()).toBe(200);
  rememberChild('evidence', (await must('POST', `/evidence-uploads/${String(up['id'])}/complete`, undefined, adminToken))['id'], a['id']);
  remember('evidence-uploads', (await must('POST', `/incidents/${String(a['id'])}/evidence`, { ...base, upload_key: 'fuzz-upload-2' }, adminToken))['id']);

  remember('workflows', ...(((await must('GET', '/workflows'))['items'] ?? []) as Json[]).map((w) => w['id']));
  remember('runs', (await must('POST', `/incidents/${String(b['id'])}/execute-workflow`, { playbook_id: 'data-exfiltration' }))['id']);
  const approvals = await waitFor(
    async () => {
      const items = ((await must('GET', '/approvals'))['items'] ?? []) as Json[];
      return items.length ? items.map((x) => x['id']) : null;
    },
    { message: 'the approval of the exfiltration run' },
  );
  remember('approvals', ...approvals);
  remember('connectors', ...(((await must('GET', '/connectors'))['items'] ?? []) as Json[]).map((c) => c['name']));
  await must('PUT', '/secrets/fuzz_secret', { value: 'fuzz secret value' });
  remember('secrets', 'fuzz_secret', 'missing_secret');
  remember('blocklists', 'ip.txt', 'domain.csv', 'url.stix.json', 'hash.txt');
}

beforeAll(async () => {
  ts = await startTestServer({ intel: { schedule: false }, playbooks: { fetch: noNetwork } });
  adminToken = await ts.token('admin');
  viewer = await ts.as('viewer');
  const r = await ts.fetch('/api/v1/openapi.json');
  expect(r.status).toBe(200);
  doc = (await r.json()) as Json;
  await seedFixtures();
}, 60_000);

afterAll(async () => {
  agent.destroy();
  await ts?.stop();
});

/** Why this answer fails the test, or null. */
function problemOf(req: FuzzRequest, out: Outcome): string | null {
  if (out.error) {
    // A server may refuse a large body before reading it and close the connection while it is
    // still being written; the client then sees a reset instead of the answer.
    const big = req.body !== undefined && req.body.length >= 64 * 1024;
    if (big && /EPIPE|ECONNRESET|socket hang up/.test(out.error)) return null;
    return `no answer (${out.error})`;
  }
  if (out.status >= 500) return `status ${out.status}`;
  if (out.ms > SLOW_MS) return `slow: ${out.ms} ms`;
  return null;
}

const excerpt = (s: string | Buffer | undefined, n = 300): string => {
  if (s === undefined) return '';
  const t = Buffer.isBuffer(s) ? `<${s.length} bytes>` : s;
  return t.length > n ? `${JSON.stringify(t.slice(0, n))}… (${t.length} chars)` : JSON.stringify(t);
};

describe('OpenAPI fuzz', () => {
  it('answers every operation, valid or hostile, without a 5xx and within 5 s', async () => {
    const rng = createRng(SEED);
    // Operations that end what others use (deletes, cancels, revocations) go last, in document order.
    const ending = (o: Operation): boolean => o.method === 'DELETE' || /\/(cancel|revoke-sessions)$/.test(o.path);
    const ops = [...operationsOf(doc).filter((o) => !ending(o)), ...operationsOf(doc).filter(ending)];
    expect(ops.length).toBeGreaterThan(90);
    const failures: string[] = [];
    const started = performance.now();
    let sent = 0;
    // FUZZ_LOG=<file>: one tab-separated line per request (operation, kind, identity, status, ms, path, answer).
    const log: string[] | null = process.env.FUZZ_LOG ? [] : null;

    for (const op of ops) {
      // Logging out revokes the credential it is sent with: each logout gets a throwaway one.
      const throwaway = op.path === '/auth/logout';
      const admin = async (): Promise<Who> =>
        throwaway
          ? { name: 'fresh analyst', identity: await ts.as('analyst') }
          : rng.chance(0.5)
            ? { name: 'admin session', identity: ts.admin }
            : { name: 'admin token', identity: adminToken };
      const batch: [FuzzRequest, Who][] = [];
      for (let i = 0; i < VALID_PER_OPERATION; i++) batch.push([validRequest(op, pools, rng), await admin()]);
      for (const r of invalidRequests(op, pools, rng, INVALID_PER_OPERATION)) batch.push([r, await admin()]);
      for (const r of hostileCorpus(op, pools, rng)) batch.push([r, await admin()]);
      batch.push([validRequest(op, pools, rng), { name: 'viewer', identity: throwaway ? await ts.as('viewer') : viewer }]);
      batch.push([validRequest(op, pools, rng), { name: 'anonymous', identity: null }]);

      for (const [req, who] of batch) {
        const out = await send(req, who.identity);
        sent++;
        harvest(op, out);
        log?.push([op.method, op.path, req.kind, who.name, out.status, out.ms, req.path.slice(0, 200), out.text.slice(0, 200).replace(/\s+/g, ' ')].join('\t'));
        const problem = problemOf(req, out);
        if (!problem) continue;
        failures.push(
          [
            `${op.method} ${op.path} [${req.kind}] as ${who.name}: ${problem} after ${out.ms} ms`,
            `  request: ${req.method} ${excerpt(req.path, 500)}${req.contentType ? ` (${req.contentType})` : ''} ${excerpt(req.body)}`,
            `  response: ${out.status} ${excerpt(out.text)}`,
          ].join('\n'),
        );
      }
    }
    if (log && process.env.FUZZ_LOG) writeFileSync(process.env.FUZZ_LOG, `${log.join('\n')}\n`);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const report = `${failures.length} of ${sent} requests failed (seed ${SEED}, FUZZ_SEED=${SEED} to replay; ${ops.length} operations, ${seconds} s):\n${failures.join('\n')}`;
    expect(failures, report).toEqual([]);
  }, 180_000);
});

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, fixtureText } from './parsers/fixtures/stream.ts';
import { parseStixObjects } from './parsers/stix.ts';
import { fetchTaxiiObjects, TAXII_MEDIA_TYPE, type TaxiiOptions, type TaxiiPage } from './taxii.ts';

/**
 * A local TAXII 2.1 server: discovery at /taxii2/, API root /api1/ with two collections; the
 * "intel" collection serves the fixture bundle's objects in pages of 5 with `next` tokens.
 */
const bundle = JSON.parse(fixtureText('stix-bundle.json')) as { objects: { id: string }[] };
const PAGE = 5;
const requests: { path: string; query: URLSearchParams; accept: string | undefined }[] = [];
const cursors = new Map<string, number>();
let server: Server;
let base: string;

function authorized(req: IncomingMessage): boolean {
  const auth = req.headers.authorization;
  return auth === `Basic ${Buffer.from('reader:s3cret').toString('base64')}` || auth === 'Bearer tok-123';
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ path: url.pathname, query: url.searchParams, accept: req.headers.accept });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': TAXII_MEDIA_TYPE, ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.headers.accept !== TAXII_MEDIA_TYPE) return send(406, { title: 'not acceptable' });
    if (!authorized(req)) return send(401, { title: 'unauthorized' });
    if (url.pathname === '/taxii2/') return send(200, { title: 'Fixture TAXII', default: `${base}/api1/`, api_roots: [`${base}/api1/`, `${base}/api2/`] });
    if (url.pathname === '/api2/') return send(200, { title: 'API 2', versions: [TAXII_MEDIA_TYPE] });
    if (url.pathname === '/api2/collections/')
      return send(200, {
        collections: [
          { id: 'legacy', title: 'legacy', can_read: true },
          { id: 'stuck', title: 'stuck', can_read: true },
          { id: 'cursor', title: 'cursor', can_read: true },
        ],
      });
    if (url.pathname === '/api1/') return send(200, { title: 'API 1', versions: [TAXII_MEDIA_TYPE], max_content_length: 10_000_000 });
    if (url.pathname === '/api1/collections/') {
      return send(200, {
        collections: [
          { id: '91a7b528-80eb-42ed-a74d-c6fbd5a26116', title: 'intel', can_read: true, can_write: false },
          { id: '52892447-4d7e-4f70-b94d-d7f22742ff63', title: 'write-only', can_read: false, can_write: true },
        ],
      });
    }
    if (url.pathname === '/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/objects/') {
      const start = Number(url.searchParams.get('next') ?? 0);
      const objects = bundle.objects.slice(start, start + PAGE);
      const more = start + PAGE < bundle.objects.length;
      return send(200, more ? { more, next: String(start + PAGE), objects } : { more, objects }, {
        'x-taxii-date-added-last': `2026-11-21T00:00:0${start / PAGE}.000Z`,
      });
    }
    if (url.pathname === '/api2/collections/legacy/objects/') {
      // Pages by added_after only (no `next`): page n+1 follows the date-added-last of page n.
      const after = url.searchParams.get('added_after');
      const page = after === null ? 0 : Number(/:0(\d)\.000Z$/.exec(after)?.[1] ?? -1) + 1;
      const objects = bundle.objects.slice(page * PAGE, page * PAGE + PAGE);
      return send(200, { more: (page + 1) * PAGE < bundle.objects.length, objects }, { 'x-taxii-date-added-last': `2026-11-21T00:00:0${page}.000Z` });
    }
    if (url.pathname === '/api2/collections/stuck/objects/') return send(200, { more: true, next: 'same', objects: [] });
    if (url.pathname === '/api2/collections/cursor/objects/') {
      // One opaque cursor for the whole request, the same `next` on every page (TAXII 2.1 allows it).
      let token = url.searchParams.get('next');
      if (token === null) {
        token = `cur-${cursors.size + 1}`;
        cursors.set(token, 0);
      }
      const start = cursors.get(token);
      if (start === undefined) return send(400, { title: 'unknown cursor' });
      const limit = Number(url.searchParams.get('limit') ?? bundle.objects.length);
      const objects = bundle.objects.slice(start, start + Math.min(limit, PAGE));
      cursors.set(token, start + objects.length);
      const more = start + objects.length < bundle.objects.length;
      return send(200, more ? { more, next: token, objects } : { more, objects });
    }
    return send(404, { title: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const options = (over: Partial<TaxiiOptions> = {}): TaxiiOptions => ({
  url: `${base}/taxii2/`,
  auth: { kind: 'basic', username: 'reader', password: 's3cret' },
  fetch,
  ...over,
});

describe('TAXII 2.1 client', () => {
  it('IN4: goes from discovery to the default API root and pages through the collection with next', async () => {
    requests.length = 0;
    const pages: TaxiiPage[] = [];
    const objects: unknown[] = [];
    for await (const object of fetchTaxiiObjects(options({ collection: '91a7b528-80eb-42ed-a74d-c6fbd5a26116', addedAfter: '2026-11-01T00:00:00Z' }), (p) =>
      pages.push(p),
    ))
      objects.push(object);
    expect(objects).toEqual(bundle.objects);
    expect(bundle.objects.length).toBeGreaterThan(2 * PAGE);
    expect(pages).toEqual([
      { page: 1, objects: 5, more: true, dateAddedLast: '2026-11-21T00:00:00.000Z' },
      { page: 2, objects: 5, more: true, dateAddedLast: '2026-11-21T00:00:01.000Z' },
      { page: 3, objects: bundle.objects.length - 10, more: false, dateAddedLast: '2026-11-21T00:00:02.000Z' },
    ]);
    const objectRequests = requests.filter((r) => r.path.endsWith('/objects/'));
    expect(objectRequests.map((r) => [r.query.get('next'), r.query.get('added_after')])).toEqual([
      [null, '2026-11-01T00:00:00Z'],
      ['5', '2026-11-01T00:00:00Z'],
      ['10', '2026-11-01T00:00:00Z'],
    ]);
    expect(requests.map((r) => r.path).slice(0, 3)).toEqual(['/taxii2/', '/api1/', '/api1/collections/']);
    expect(requests.every((r) => r.accept === TAXII_MEDIA_TYPE)).toBe(true);
  });

  it('takes an API root URL, a bearer token and the only readable collection by default, and feeds the STIX parser', async () => {
    const { items } = await collect(parseStixObjects(fetchTaxiiObjects(options({ url: `${base}/api1`, auth: { kind: 'bearer', token: 'tok-123' } }))));
    const viaHeader = await collect(parseStixObjects(fetchTaxiiObjects(options({ url: `${base}/api1`, auth: 'Bearer tok-123' }))));
    expect(viaHeader.items).toEqual(items);
    expect(items.find((i) => i.value === '198.51.100.1')).toMatchObject({ malware: ['Example Loader'], techniques: ['T1105'] });
    expect(items).toHaveLength(8);
  });

  it('IN4: pages by added_after when the server gives no next, and stops a server that never ends', async () => {
    const pages: TaxiiPage[] = [];
    const objects = [];
    for await (const object of fetchTaxiiObjects(options({ url: `${base}/api2/`, collection: 'legacy' }), (p) => pages.push(p))) objects.push(object);
    expect(objects).toEqual(bundle.objects);
    expect(pages.map((p) => p.dateAddedLast)).toEqual(['2026-11-21T00:00:00.000Z', '2026-11-21T00:00:01.000Z', '2026-11-21T00:00:02.000Z']);
    await expect(collect(parseStixObjects(fetchTaxiiObjects(options({ url: `${base}/api2/`, collection: 'stuck', maxPages: 20 }))))).rejects.toThrow(
      'TAXII paging did not end after 20 pages',
    );
    await expect(fetchTaxiiObjects(options({ url: `${base}/nowhere/` })).next()).rejects.toThrow(/HTTP 404/);
  });

  it('IN4: follows a server that answers the same next on every page until more is false, always sending limit', async () => {
    requests.length = 0;
    const pages: TaxiiPage[] = [];
    const objects: unknown[] = [];
    for await (const object of fetchTaxiiObjects(options({ url: `${base}/api2/`, collection: 'cursor' }), (p) => pages.push(p))) objects.push(object);
    expect(objects).toEqual(bundle.objects);
    expect(pages.length).toBe(Math.ceil(bundle.objects.length / PAGE));
    const objectRequests = requests.filter((r) => r.path.endsWith('/objects/'));
    expect(objectRequests.map((r) => r.query.get('next'))).toEqual([null, ...pages.slice(1).map(() => 'cur-1')]);
    expect(objectRequests.every((r) => r.query.get('limit') === '1000')).toBe(true);
  });

  it('IN4: stops with a clear error at the object limit of one poll', async () => {
    const run = collect(parseStixObjects(fetchTaxiiObjects(options({ url: `${base}/api2/`, collection: 'cursor', maxObjects: 7 }))));
    await expect(run).rejects.toThrow('TAXII collection gave more than 7 objects in one poll (page 2); stopped');
  });

  it('fails clearly on wrong credentials without echoing them', async () => {
    const run = collect(parseStixObjects(fetchTaxiiObjects(options({ auth: { kind: 'basic', username: 'reader', password: 'wrong-pass' } }))));
    await expect(run).rejects.toThrow(/HTTP 401 \(check the credentials\)/);
    await expect(run).rejects.not.toThrow(/wrong-pass/);
  });

  it('names the readable collections when the one asked for does not exist', async () => {
    const run = fetchTaxiiObjects(options({ collection: '52892447-4d7e-4f70-b94d-d7f22742ff63' })).next();
    await expect(run).rejects.toThrow(
      'no readable TAXII collection "52892447-4d7e-4f70-b94d-d7f22742ff63": readable ones are 91a7b528-80eb-42ed-a74d-c6fbd5a26116 (intel)',
    );
  });

  it('IN13: refuses a response larger than the cap', async () => {
    const run = fetchTaxiiObjects(options({ collection: 'intel', maxResponseBytes: 100 })).next();
    await expect(run).rejects.toThrow(/larger than 100 bytes/);
  });
});

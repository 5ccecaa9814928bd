/**
 * A TAXII 2.1 client for pulling STIX objects from a collection: discovery (or an API root
 * URL directly) → API root → collections → `objects/` paged with `next` (falling back to
 * `added_after` = X-TAXII-Date-Added-Last when a server pages without `next`). Objects come out
 * as an async iterable, a page at a time; `onPage` reports each page's X-TAXII-Date-Added-Last
 * for the runner to keep as the next poll's `added_after`.
 *
 * The caller passes `fetch`: the feed runner's, which refuses private addresses (a discovery
 * document can name API roots on any host). Credentials go in headers and never into errors.
 */
export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';

/** Basic or bearer credentials, or a ready Authorization header value (a connector secret). */
type TaxiiAuth = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string } | string;

/** What the client needs of fetch: the global one, or the feed runner's SSRF-guarded one. */
type TaxiiFetch = (
  input: string,
  init: { headers: Record<string, string>; signal?: AbortSignal; method?: string; redirect?: RequestRedirect },
) => Promise<Response>;

export type TaxiiOptions = {
  /** A discovery URL (`…/taxii2/`) or an API root URL. */
  url: string;
  /** Collection id (or title); may be omitted when the API root has exactly one readable collection. */
  collection?: string;
  /** ISO timestamp: only objects added after it. */
  addedAfter?: string;
  auth?: TaxiiAuth;
  fetch: TaxiiFetch;
  signal?: AbortSignal;
  /** `limit` asked per page, always sent (servers may return fewer; default 1,000). */
  pageSize?: number;
  /** Stop (with an error) after this many pages: a server that never ends paging (default 10,000). */
  maxPages?: number;
  /** Stop (with an error) after this many objects in one poll (default 10,000,000). */
  maxObjects?: number;
  /** Refuse a response body larger than this. */
  maxResponseBytes?: number;
};

export type TaxiiPage = { page: number; objects: number; more: boolean; dateAddedLast: string | null };

class TaxiiError extends Error {
  override name = 'TaxiiError';
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function headersOf(auth: TaxiiAuth | undefined): Record<string, string> {
  const headers: Record<string, string> = { accept: TAXII_MEDIA_TYPE };
  if (typeof auth === 'string') headers.authorization = auth;
  else if (auth?.kind === 'basic') headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  else if (auth?.kind === 'bearer') headers.authorization = `Bearer ${auth.token}`;
  return headers;
}

/** Host and path only: error messages name the resource, never credentials or query tokens. */
function describe(url: string): string {
  const u = new URL(url);
  return `${u.host}${u.pathname}`;
}

async function getJson(options: TaxiiOptions, url: string): Promise<{ body: Json; response: Response }> {
  const response = await options.fetch(url, { method: 'GET', headers: headersOf(options.auth), signal: options.signal, redirect: 'error' });
  if (!response.ok) {
    await response.body?.cancel();
    throw new TaxiiError(
      `TAXII GET ${describe(url)}: HTTP ${response.status}${response.status === 401 || response.status === 403 ? ' (check the credentials)' : ''}`,
    );
  }
  const max = options.maxResponseBytes ?? 64 * 1024 * 1024;
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > max) {
    await response.body?.cancel();
    throw new TaxiiError(`TAXII GET ${describe(url)}: response larger than ${max} bytes`);
  }
  const text = await readCapped(response, max, url);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new TaxiiError(`TAXII GET ${describe(url)}: the response is not JSON`);
  }
  if (!isObject(body)) throw new TaxiiError(`TAXII GET ${describe(url)}: the response is not a JSON object`);
  return { body, response };
}

async function readCapped(response: Response, max: number, url: string): Promise<string> {
  if (!response.body) return '';
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > max) {
      await reader.cancel();
      throw new TaxiiError(`TAXII GET ${describe(url)}: response larger than ${max} bytes`);
    }
    text += decoder.decode(value, { stream: true });
  }
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

/** The API root URL: `url` itself when it is one, else the discovery document's default (or first) root. */
async function resolveApiRoot(options: TaxiiOptions): Promise<string> {
  const url = withSlash(options.url);
  const { body } = await getJson(options, url);
  if (!Array.isArray(body.api_roots)) return checkedApiRoot(url, body);
  const roots = body.api_roots.filter((r): r is string => typeof r === 'string');
  const chosen = typeof body.default === 'string' ? body.default : roots[0];
  if (!chosen) throw new TaxiiError(`TAXII discovery at ${describe(url)} names no API root`);
  const root = withSlash(new URL(chosen, url).href);
  return checkedApiRoot(root, (await getJson(options, root)).body);
}

function checkedApiRoot(url: string, info: Json): string {
  const versions = Array.isArray(info.versions) ? info.versions : null;
  if (!versions) throw new TaxiiError(`${describe(url)} is neither a TAXII discovery document nor an API root`);
  if (!versions.some((v) => typeof v === 'string' && v.replace(/\s/g, '') === TAXII_MEDIA_TYPE))
    throw new TaxiiError(`the TAXII API root ${describe(url)} does not offer version 2.1`);
  return url;
}

type TaxiiCollection = { id: string; title: string; can_read: boolean };

async function listCollections(options: TaxiiOptions, apiRoot: string): Promise<TaxiiCollection[]> {
  const { body } = await getJson(options, new URL('collections/', apiRoot).href);
  const list = Array.isArray(body.collections) ? body.collections : [];
  return list
    .filter(isObject)
    .flatMap((c) => (typeof c.id === 'string' ? [{ id: c.id, title: typeof c.title === 'string' ? c.title : c.id, can_read: c.can_read !== false }] : []));
}

async function resolveCollection(options: TaxiiOptions, apiRoot: string): Promise<string> {
  const collections = await listCollections(options, apiRoot);
  const readable = collections.filter((c) => c.can_read);
  const wanted = options.collection;
  const found =
    wanted === undefined
      ? readable.length === 1
        ? readable[0]
        : undefined
      : (readable.find((c) => c.id === wanted) ?? readable.find((c) => c.title === wanted));
  if (found) return found.id;
  const names =
    readable
      .map((c) => `${c.id} (${c.title})`)
      .join(', ')
      .slice(0, 300) || 'none';
  throw new TaxiiError(
    wanted === undefined ? `choose a TAXII collection: readable ones are ${names}` : `no readable TAXII collection "${wanted}": readable ones are ${names}`,
  );
}

/** Every STIX object of the collection added after `addedAfter`, page by page. */
export async function* fetchTaxiiObjects(options: TaxiiOptions, onPage?: (page: TaxiiPage) => void): AsyncGenerator<unknown> {
  const apiRoot = await resolveApiRoot(options);
  const collection = await resolveCollection(options, apiRoot);
  const objectsUrl = new URL(`collections/${encodeURIComponent(collection)}/objects/`, apiRoot);
  const maxPages = options.maxPages ?? 10_000;
  const maxObjects = options.maxObjects ?? 10_000_000;
  const pageSize = options.pageSize ?? 1_000;
  let addedAfter = options.addedAfter;
  let next: string | undefined;
  let total = 0;
  for (let page = 1; ; page++) {
    // The spec lets `next` be one opaque cursor repeated on every page, so a repeated value is
    // no loop by itself: only these limits tell a server that never ends from a big collection.
    if (page > maxPages) throw new TaxiiError(`TAXII paging did not end after ${maxPages} pages (${total} objects); the server keeps saying there is more`);
    const url = new URL(objectsUrl);
    if (addedAfter) url.searchParams.set('added_after', addedAfter);
    url.searchParams.set('limit', String(pageSize));
    if (next) url.searchParams.set('next', next);
    const { body, response } = await getJson(options, url.href);
    const objects = Array.isArray(body.objects) ? body.objects : [];
    total += objects.length;
    if (total > maxObjects) throw new TaxiiError(`TAXII collection gave more than ${maxObjects} objects in one poll (page ${page}); stopped`);
    const more = body.more === true;
    const dateAddedLast = response.headers.get('x-taxii-date-added-last');
    onPage?.({ page, objects: objects.length, more, dateAddedLast });
    yield* objects;
    if (!more) return;
    if (typeof body.next === 'string' && body.next !== '') next = body.next;
    else if (dateAddedLast && dateAddedLast !== addedAfter) {
      addedAfter = dateAddedLast;
      next = undefined;
    } else throw new TaxiiError('TAXII server says there is more but gives neither `next` nor a new X-TAXII-Date-Added-Last');
  }
}

/**
 * Outbound HTTP for feed pulls, guarded against server-side request forgery: the host is resolved
 * here and every address checked (loopback, private, link-local, CGNAT, multicast, reserved,
 * documentation, IPv4-mapped forms of those, …) before connecting — and the socket connects to
 * exactly the address that was checked (the check is the connection's DNS lookup, so a second
 * resolution cannot swap in another address). Redirects are followed by hand, each hop checked
 * again. `allowPrivate` (ALLOW_PRIVATE_FEED_URLS=true) lifts the address check for lab setups
 * and tests. Also: an overall timeout, a byte cap (on the decoded body), gzip, and a truncated
 * body (fewer bytes than content-length) is an error, never a short feed.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(net, bits, 'ipv6');

/** True when an address must not be fetched from (IPv4-mapped / NAT64 IPv6 checked as IPv4). */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  const lower = address.toLowerCase();
  const mapped = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped?.[1]) return blocked.check(mapped[1], 'ipv4');
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hexMapped?.[1] && hexMapped[2]) {
    const hi = parseInt(hexMapped[1], 16);
    const lo = parseInt(hexMapped[2], 16);
    return blocked.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, 'ipv4');
  }
  return blocked.check(address, 'ipv6');
}

export class FetchRefused extends Error {
  override name = 'FetchRefused';
}

export interface GuardOptions {
  allowPrivate: boolean;
  /** Whole request, body included (default 60 s). */
  timeoutMs?: number;
  /** Decoded body cap (default 512 MiB). */
  maxBytes?: number;
  maxRedirects?: number;
}

export interface GuardedResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The final URL after redirects. */
  url: string;
  /** content-length of the (encoded) body when given. */
  length: number | null;
  body: AsyncIterable<Uint8Array>;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function checkedLookup(allowPrivate: boolean) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const bad = allowPrivate ? undefined : addresses.find((a) => isForbiddenAddress(a.address));
      if (bad) return callback(new FetchRefused(`refused: ${hostname} resolves to a private or reserved address (${bad.address}); set ALLOW_PRIVATE_FEED_URLS=true to allow`), []);
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new FetchRefused(`${hostname} has no address`), []);
      callback(null, first.address, first.family);
    });
  };
}

function once(url: URL, headers: Record<string, string>, guard: GuardOptions, signal: AbortSignal): Promise<http.IncomingMessage> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new FetchRefused(`refused: only http and https URLs (${url.protocol})`));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !guard.allowPrivate && isForbiddenAddress(host)) return Promise.reject(new FetchRefused(`refused: ${host} is a private or reserved address; set ALLOW_PRIVATE_FEED_URLS=true to allow`));
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method: 'GET', headers: { 'accept-encoding': 'gzip', 'user-agent': 'sentpilot-intel', ...headers }, lookup: checkedLookup(guard.allowPrivate) as never, signal }, resolve);
    req.on('error', reject);
    req.end();
  });
}

async function* capped(res: http.IncomingMessage, maxBytes: number, expected: number | null): AsyncGenerator<Uint8Array> {
  const gzip = /gzip/i.test(String(res.headers['content-encoding'] ?? ''));
  const source: Readable = gzip ? res.pipe(createGunzip()) : res;
  if (gzip) res.on('error', (e) => source.destroy(e));
  let decoded = 0;
  let raw = 0;
  res.on('data', (c: Buffer) => (raw += c.length));
  for await (const chunk of source as AsyncIterable<Buffer>) {
    decoded += chunk.length;
    if (decoded > maxBytes) {
      res.destroy();
      throw new FetchRefused(`the feed is larger than the ${maxBytes}-byte limit`);
    }
    yield chunk;
  }
  if (expected !== null && raw < expected) throw new Error(`truncated download: ${raw} of ${expected} bytes`);
  if (!res.complete) throw new Error('truncated download: the connection closed early');
}

/** GET `url` through the guard; the caller reads (or drops) `body`. */
export async function guardedGet(url: string, headers: Record<string, string>, guard: GuardOptions, signal?: AbortSignal): Promise<GuardedResponse> {
  const timeout = AbortSignal.timeout(guard.timeoutMs ?? 60_000);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const res = await once(current, headers, guard, combined);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status >= 300 && status < 400 && status !== 304 && location) {
      res.resume();
      if (hop >= (guard.maxRedirects ?? 5)) throw new FetchRefused('too many redirects');
      current = new URL(location, current);
      continue;
    }
    const lengthHeader = res.headers['content-length'];
    const length = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
    const maxBytes = guard.maxBytes ?? 512 * 1024 ** 2;
    if (length !== null && !/gzip/i.test(String(res.headers['content-encoding'] ?? '')) && length > maxBytes) {
      res.destroy();
      throw new FetchRefused(`the feed is larger than the ${maxBytes}-byte limit (${length} bytes)`);
    }
    return { status, headers: res.headers, url: current.toString(), length, body: capped(res, maxBytes, length) };
  }
}

/** A fetch-shaped wrapper (for the TAXII client): same guard, body as a web stream. */
export function guardedFetch(guard: GuardOptions): (input: string | URL, init?: { headers?: Record<string, string>; signal?: AbortSignal }) => Promise<Response> {
  return async (input, init) => {
    const res = await guardedGet(String(input), init?.headers ?? {}, guard, init?.signal);
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && k !== 'content-encoding' && k !== 'content-length') headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const nullBody = res.status === 204 || res.status === 304;
    const body = nullBody ? null : (Readable.toWeb(Readable.from(res.body)) as ReadableStream<Uint8Array>);
    return new Response(body, { status: res.status, headers });
  };
}

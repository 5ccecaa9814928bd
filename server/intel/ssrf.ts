/**
 * Outbound HTTP for feed pulls, guarded against server-side request forgery: the host is resolved
 * here and every address checked (loopback, private, link-local, CGNAT, multicast, reserved,
 * documentation, and every IPv6 form that embeds one of those: mapped, NAT64, 6to4, ISATAP, …)
 * before connecting — and the socket connects to
 * exactly the address that was checked (the check is the connection's DNS lookup, so a second
 * resolution cannot swap in another address). Redirects are followed by hand, each hop checked
 * again. `allowPrivate` (ALLOW_PRIVATE_FEED_URLS=true) lifts the address check for lab setups
 * and tests. Also: an overall timeout, a byte cap (on the decoded body), gzip, and a truncated
 * body (fewer bytes than content-length) is an error, never a short feed.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { embeddedIpv4, inPrefix, parseIpv4, parseIpv6, type Ipv6Words } from '../http/ip-address.ts';

/** IPv4 ranges that are never a public server: [network, prefix length]. */
const V4_NEVER_PUBLIC: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const V4_RANGES = V4_NEVER_PUBLIC.map(([net, bits]) => {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { net: ((parseIpv4(net) ?? 0) & mask) >>> 0, mask };
});

function forbiddenIpv4(n: number): boolean {
  return V4_RANGES.some((r) => (n & r.mask) >>> 0 === r.net);
}

/** `a:b:...` prefix text → groups, for the table below. */
const g = (s: string): Ipv6Words => parseIpv6(s) as Ipv6Words;

/** IPv6 forms that carry an IPv4 address, judged by that address: [prefix, bits, where it sits]. */
const V6_EMBEDDING: readonly { prefix: Ipv6Words; bits: number; v4At: number }[] = [
  { prefix: g('::ffff:0:0'), bits: 96, v4At: 6 }, // IPv4-mapped, ::ffff:10.0.0.1 or ::ffff:a00:1
  { prefix: g('::ffff:0:0:0'), bits: 96, v4At: 6 }, // IPv4-translated (SIIT)
  { prefix: g('64:ff9b::'), bits: 96, v4At: 6 }, // NAT64 well-known prefix: the gateway connects to the IPv4
  { prefix: g('2002::'), bits: 16, v4At: 1 }, // 6to4: the IPv4 of the tunnel end
];

/** IPv6 ranges inside global unicast (2000::/3) that are never a public server. */
const V6_NEVER_PUBLIC: readonly { prefix: Ipv6Words; bits: number }[] = [
  { prefix: g('2001::'), bits: 23 }, // IETF protocol assignments: Teredo 2001::/32, benchmarking, ORCHID, ...
  { prefix: g('2001:db8::'), bits: 32 }, // documentation
  { prefix: g('3fff::'), bits: 20 }, // documentation (RFC 9637)
];

/**
 * True when an address must not be fetched from. IPv4: the ranges above. IPv6: a form that
 * embeds an IPv4 address (mapped in dotted or hex form, translated, NAT64 64:ff9b::/96, 6to4,
 * an ISATAP interface identifier) is judged by that address; outside global unicast 2000::/3
 * nothing is public (unspecified, loopback, IPv4-compatible ::/96, NAT64 local-use
 * 64:ff9b:1::/48, discard 100::/64, unique-local fc00::/7, link-local fe80::/10, site-local
 * fec0::/10, multicast ff00::/8, ...), and inside it Teredo and the other IETF assignments and
 * the documentation prefixes are not either. A scoped address (`%zone`) or anything that does
 * not parse is refused.
 */
export function isForbiddenAddress(address: string): boolean {
  const v4 = parseIpv4(address);
  if (v4 !== null) return forbiddenIpv4(v4);
  if (address.includes('%')) return true;
  const w = parseIpv6(address);
  if (!w) return true;
  for (const e of V6_EMBEDDING) if (inPrefix(w, e.prefix, e.bits)) return forbiddenIpv4(embeddedIpv4(w, e.v4At));
  if (!inPrefix(w, g('2000::'), 3)) return true;
  if (V6_NEVER_PUBLIC.some((r) => inPrefix(w, r.prefix, r.bits))) return true;
  // ISATAP: an interface identifier of 0000:5efe or 0200:5efe carries an IPv4 address.
  if ((w[4] & 0xfdff) === 0 && w[5] === 0x5efe) return forbiddenIpv4(embeddedIpv4(w, 6));
  return false;
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
      if (bad)
        return callback(
          new FetchRefused(`refused: ${hostname} resolves to a private or reserved address (${bad.address}); set ALLOW_PRIVATE_FEED_URLS=true to allow`),
          [],
        );
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
  if (isIP(host) && !guard.allowPrivate && isForbiddenAddress(host))
    return Promise.reject(new FetchRefused(`refused: ${host} is a private or reserved address; set ALLOW_PRIVATE_FEED_URLS=true to allow`));
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: 'GET',
        headers: { 'accept-encoding': 'gzip', 'user-agent': 'sentpilot-intel', ...headers },
        lookup: checkedLookup(guard.allowPrivate) as never,
        signal,
      },
      resolve,
    );
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
export function guardedFetch(
  guard: GuardOptions,
): (input: string | URL, init?: { headers?: Record<string, string>; signal?: AbortSignal }) => Promise<Response> {
  return async (input, init) => {
    const res = await guardedGet(String(input), init?.headers ?? {}, guard, init?.signal);
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined && k !== 'content-encoding' && k !== 'content-length') headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const nullBody = res.status === 204 || res.status === 304;
    const body = nullBody ? null : (Readable.toWeb(Readable.from(res.body)) as ReadableStream<Uint8Array>);
    return new Response(body, { status: res.status, headers });
  };
}

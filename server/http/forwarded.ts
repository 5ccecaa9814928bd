/**
 * What a request says about where it came from, believed only as far as the operator trusts the
 * reverse proxies in front (TRUST_PROXY, TRUST_PROXY_HOPS → `proxyHops`; 0 = no proxy, believe
 * only the socket). Every proxy appends what it saw to X-Forwarded-For, so of `client-written,
 * …, hop1, hop2` only the last `proxyHops` entries were written by proxies we trust: the entry
 * `proxyHops` from the end is the address the outermost trusted proxy saw, and everything to its
 * left is whatever the client chose to send. X-Forwarded-Proto and X-Forwarded-Host are read
 * the same way (a proxy that overwrites them leaves one entry, which is then the one taken).
 * The one place the client address, the scheme and the host of a request are derived.
 */
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { parseIpv4, parseIpv6, stripPort } from './ip-address.ts';

/**
 * The entry of a comma-separated X-Forwarded-* value that the outermost trusted proxy wrote:
 * `hops` from the end, or the first when the chain is shorter (every entry then came from a
 * trusted proxy). Undefined without a header or without trusted proxies.
 */
export function forwardedEntry(value: string | undefined, hops: number): string | undefined {
  if (!value || hops < 1) return undefined;
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  return entries[Math.max(0, entries.length - hops)];
}

function socketAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const isAddress = (s: string): boolean => parseIpv4(s) !== null || parseIpv6(s) !== null;

/**
 * The client's address: the socket's, or behind `proxyHops` trusted proxies the address the
 * outermost of them saw (ports and brackets removed; a value that is no address, such as
 * nginx's `unknown`, falls back to the socket's).
 */
export function clientAddress(c: Context, proxyHops: number): string {
  const entry = forwardedEntry(c.req.header('x-forwarded-for'), proxyHops);
  const address = entry === undefined ? undefined : stripPort(entry);
  return address !== undefined && isAddress(address) ? address : socketAddress(c);
}

/** Did the request come over TLS (directly, or per the trusted proxy's X-Forwarded-Proto)? */
export function isHttps(c: Context, proxyHops: number): boolean {
  const proto = forwardedEntry(c.req.header('x-forwarded-proto'), proxyHops);
  if (proto?.toLowerCase() === 'https') return true;
  return new URL(c.req.url).protocol === 'https:';
}

/** The host the client addressed (the trusted proxy's X-Forwarded-Host, else Host). */
export function requestHost(c: Context, proxyHops: number): string | undefined {
  return forwardedEntry(c.req.header('x-forwarded-host'), proxyHops) ?? c.req.header('host');
}

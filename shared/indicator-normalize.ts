/**
 * Indicator normalization, one module for the server and the device: one canonical text per
 * value, so the store's (type, value) key, the server's lookups and the device's offline lookups
 * agree whatever a feed, an alert or an analyst wrote. Detects IPv4/IPv6 (RFC 5952 text), CIDR
 * ranges (network address / prefix; a /32 or /128 is the address itself), domains (lower-case,
 * IDNA to punycode), URLs (the shared canonical form of intel-values.ts: scheme and host
 * lower-cased, path and query kept, fragment dropped) and MD5/SHA-1/SHA-256 hashes. Defanged
 * input (`hxxp://`, `[.]`, `(.)`, `[:]`) is accepted everywhere.
 *
 * `parseRange` / `rangeContains` are the containment checks of the device's offline lookup. The
 * registrable domain (Public Suffix List) is registrable-domain.ts, apart so that the client's
 * bundle, which imports this module, does not carry the suffix list.
 *
 * Pure: no `node:` imports. IDNA goes through the WHATWG URL parser, global in Node and in
 * browsers and giving the same punycode on both. IP parsing, the never-public ranges, undefanging
 * and the URL form live in intel-values.ts.
 */
import type { IndicatorType } from './intel-api.ts';
import { canonicalUrl as canonicalUrlText, parseIp, parseIpv4, parseIpv6, undefang, type Ip } from './intel-values.ts';

// The never-public classification and undefanging, for the importers of this module.
export { cidrContains, isNonRoutable, undefang } from './intel-values.ts';

/** A detected indicator: its type, canonical value and, for ipv4 / ipv6 / cidr, the inet text. */
export type Detected = { type: IndicatorType; value: string; net?: string };

/** The type, canonical value and (for addresses and ranges) inet text of a raw value, or null. */
export function detect(raw: string): Detected | null {
  // Fast path for the bulk of big feeds: a plain dotted-quad address.
  const quad = DOTTED_QUAD.exec(raw);
  if (quad) {
    const octets = [quad[1], quad[2], quad[3], quad[4]].map(Number) as [number, number, number, number];
    if (octets.every((o) => o <= 255)) {
      const value = LEADING_ZERO.test(raw) ? octets.join('.') : raw;
      return { type: 'ipv4', value, net: value };
    }
    return null;
  }
  const trimmed = raw.trim();
  const text = DEFANGED.test(trimmed) ? undefang(trimmed) : trimmed;
  if (text === '' || text.length > 2_048 || /\s/.test(text)) return null;
  if (/^[0-9a-f]+$/i.test(text)) {
    const hash = HASH_BY_LENGTH[text.length];
    if (hash) return { type: hash, value: text.toLowerCase() };
  }
  const ip = parseIp(text) ?? parseIpWithPort(text);
  if (ip) return ipDetected(ip);
  // `address/prefix` is a range or nothing (never a scheme-less URL).
  if (/^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f.]*:[0-9a-f:.]*)\/\d+$/i.test(text)) return parseCidr(text);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return canonicalUrl(text);
  const domain = canonicalDomain(text);
  if (domain) return { type: 'domain', value: domain };
  // `host/path` without a scheme (seen in plain lists) is an http URL.
  const slash = text.indexOf('/');
  if (slash > 0 && (canonicalDomain(text.slice(0, slash)) || parseIp(text.slice(0, slash)))) return canonicalUrl(`http://${text}`);
  return null;
}

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const LEADING_ZERO = /(?:^|\.)0\d/;
const DEFANGED = /[[({]|^[hf](?:xx|\*\*)?[xp]/i;
const HASH_BY_LENGTH: Record<number, IndicatorType | undefined> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

// ---- IP addresses -------------------------------------------------------------------------

/** `1.2.3.4:443` and `[2001:db8::1]:443` (ThreatFox's ip:port): the port is not part of the indicator. */
function parseIpWithPort(text: string): Ip | null {
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
  if (v4?.[1]) return parseIp(v4[1]);
  const v6 = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/i.exec(text);
  if (v6?.[1]) return parseIp(v6[1]);
  return null;
}

function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** RFC 5952: lower-case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function formatIpv6(n: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function ipDetected(ip: Ip): Detected {
  const value = ip.version === 4 ? formatIpv4(ip.n) : formatIpv6(ip.n);
  return { type: ip.version === 4 ? 'ipv4' : 'ipv6', value, net: value };
}

function parseCidr(text: string): Detected | null {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!match?.[1] || !match[2]) return null;
  const ip = parseIp(match[1]);
  if (!ip) return null;
  // A mapped IPv6 range written as ::ffff:a.b.c.d/120 is the IPv4 range /(prefix - 96).
  const prefix = Number(match[2]) - (ip.version === 4 && match[1].includes(':') ? 96 : 0);
  const bits = ip.version === 4 ? 32 : 128;
  if (prefix < 0 || prefix > bits) return null;
  if (prefix === bits) return ipDetected(ip);
  let value: string;
  if (ip.version === 4) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    value = `${formatIpv4((ip.n & mask) >>> 0)}/${prefix}`;
  } else {
    const mask = ((1n << BigInt(prefix)) - 1n) << BigInt(128 - prefix);
    value = `${formatIpv6(ip.n & mask)}/${prefix}`;
  }
  return { type: 'cidr', value, net: value };
}

// ---- Domains and URLs ---------------------------------------------------------------------

function canonicalUrl(text: string): Detected | null {
  const value = canonicalUrlText(text);
  return value === null ? null : { type: 'url', value };
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** Lower-case punycode form of a host name with at least two labels and a non-numeric TLD, or null. */
export function canonicalDomain(raw: string): string | null {
  const name = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  if (name === '' || name.length > 253 || /[/:@?#\s[\]]/.test(name)) return null;
  // ASCII names are only lower-cased: underscores (seen in real malware host names) must pass.
  const ascii = /^[\x21-\x7e]+$/.test(name) ? name.toLowerCase() : idnaToAscii(name);
  if (!ascii || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  const tld = labels[labels.length - 1] ?? '';
  if (!/^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld)) return null;
  return ascii;
}

/** Lower-case punycode of a non-ASCII host name (UTS #46 as WHATWG URL does it), or null. */
function idnaToAscii(name: string): string | null {
  try {
    return new URL(`http://${name}/`).hostname || null;
  } catch {
    return null;
  }
}

// ---- Ranges, for containment checks -------------------------------------------------------

/** A parsed range: version, network bits and prefix length. */
export interface Range {
  v: 4 | 6;
  bits: bigint;
  prefix: number;
}

/** Parse `addr/prefix` (v4 or v6), or a bare address as a full-length range; null if invalid. */
export function parseRange(text: string): Range | null {
  const [addr = '', prefixText, extra] = text.split('/');
  if (extra !== undefined) return null;
  const v4 = parseIpv4(addr);
  const v6 = v4 === null ? parseIpv6(addr) : null;
  if (v4 === null && v6 === null) return null;
  const v: 4 | 6 = v4 !== null ? 4 : 6;
  const width = v === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (prefix > width) return null;
  const raw = v4 !== null ? BigInt(v4) : (v6 ?? 0n);
  const shift = BigInt(width - prefix);
  return { v, bits: (raw >> shift) << shift, prefix };
}

/** Does `range` contain `inner` (an address or a narrower range of the same version)? */
export function rangeContains(range: Range, inner: Range): boolean {
  if (range.v !== inner.v || inner.prefix < range.prefix) return false;
  const width = range.v === 4 ? 32 : 128;
  const shift = BigInt(width - range.prefix);
  return inner.bits >> shift === range.bits >> shift;
}

/**
 * Indicator normalization: one canonical text per value so the store's (type, value) key and
 * lookups agree whatever a feed or an analyst wrote. Detects IPv4/IPv6 (RFC 5952 text), CIDR
 * ranges (network address / prefix; a /32 or /128 is the address itself), domains (lower-case,
 * IDNA to punycode), URLs (WHATWG canonical form, fragment dropped) and MD5/SHA-1/SHA-256
 * hashes. Defanged input (`hxxp://`, `[.]`, `(.)`, `[:]`) is accepted everywhere.
 *
 * `isNonRoutable` names the ranges that are never block entries (private, loopback, link-local,
 * CGNAT, multicast, reserved, documentation). `registrableDomain` uses a small built-in list of
 * multi-part suffixes (no public-suffix-list package is installed), see MULTI_PART_SUFFIXES.
 *
 * It carries its own IP text formatting: node:net validates but gives no RFC 5952 text. IP
 * parsing, the never-public ranges, undefanging and the URL form live in shared/intel-values.ts.
 */
import { domainToASCII } from 'node:url';
import type { IndicatorType } from '../../shared/intel-api.ts';
import { canonicalUrl as canonicalUrlText, parseIp, undefang, type Ip } from '../../shared/intel-values.ts';

// The never-public classification and undefanging are shared with the device (shared/intel-values.ts).
export { cidrContains, isNonRoutable, undefang } from '../../shared/intel-values.ts';

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
  for (let i = 0; i < 8; ) {
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
  // Underscores (seen in real malware host names) are not allowed by WHATWG's host parser.
  const ascii = /^[\x21-\x7e]+$/.test(name) ? name.toLowerCase() : domainToASCII(name);
  if (!ascii || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  const tld = labels[labels.length - 1] ?? '';
  if (!/^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld)) return null;
  return ascii;
}

/**
 * Multi-part public suffixes under which the registrable domain has three labels. A small list
 * (the common country second levels and a few hosting suffixes abused by malware), not the full
 * Public Suffix List: an unlisted suffix yields the last two labels.
 */
export const MULTI_PART_SUFFIXES = new Set([
  'co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'me.uk', 'net.uk', 'ltd.uk', 'plc.uk', 'sch.uk', 'nhs.uk',
  'com.au', 'net.au', 'org.au', 'edu.au', 'gov.au', 'id.au',
  'co.nz', 'org.nz', 'net.nz', 'govt.nz', 'ac.nz',
  'co.jp', 'ne.jp', 'or.jp', 'ac.jp', 'go.jp',
  'co.kr', 'or.kr', 'co.in', 'net.in', 'org.in', 'gov.in', 'co.za', 'org.za', 'gov.za', 'co.il', 'org.il',
  'com.br', 'net.br', 'org.br', 'gov.br', 'com.cn', 'net.cn', 'org.cn', 'gov.cn', 'com.hk', 'com.tw', 'com.sg',
  'com.mx', 'com.ar', 'com.tr', 'com.ua', 'com.pl', 'com.my', 'com.ph', 'com.vn', 'com.sa', 'com.eg', 'com.ng',
  // Hosting suffixes where each customer owns a subdomain.
  'github.io', 'gitlab.io', 'herokuapp.com', 'appspot.com', 'blogspot.com', 'azurewebsites.net',
  'cloudfront.net', 'pages.dev', 'workers.dev', 'netlify.app', 'vercel.app', 'web.app', 'firebaseapp.com',
  'duckdns.org', 'ngrok.io', 'ngrok-free.app', 'trycloudflare.com',
]);

/** The registrable domain (`a.b.example.co.uk` → `example.co.uk`), or null for a non-domain. */
export function registrableDomain(domain: string): string | null {
  const canonical = canonicalDomain(undefang(domain));
  if (!canonical) return null;
  const labels = canonical.split('.');
  const keep = MULTI_PART_SUFFIXES.has(labels.slice(-2).join('.')) ? 3 : 2;
  return labels.length < keep ? null : labels.slice(-keep).join('.');
}

/**
 * The client's indicator normalizer, for offline lookups against the device's copy: detects the
 * type of a pasted value and its canonical form the way the server stores it (IPv4/IPv6 text,
 * CIDR network address, lower-case IDNA domains, the shared canonical URL form, lower-case hashes),
 * accepting defanged input (`hxxp://`, `[.]`, `(.)`, `[:]`). The browser's URL parser does the
 * IDNA and IPv6 canonical forms, so no `node:` module is needed. Also parses CIDR ranges into
 * bits for containment checks.
 */
import type { IndicatorType } from '../../shared/intel-api.ts';
import { canonicalUrl, undefang } from '../../shared/intel-values.ts';

export interface Detected {
  type: IndicatorType;
  /** The canonical value as the server stores it. */
  value: string;
}

/** Undo the usual defanging (the server's function, shared/intel-values.ts). */
export const refang = undefang;

const HASHES: readonly [number, IndicatorType][] = [
  [32, 'md5'],
  [40, 'sha1'],
  [64, 'sha256'],
];

/** The 32-bit number of a dotted IPv4 address, or null (leading zeros read as decimal, as the server does). */
function ipv4Number(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

function ipv4Text(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The canonical (RFC 5952) text of an IPv6 address via the URL parser, or null. */
function ipv6Canonical(text: string): string | null {
  if (!text.includes(':') || /[^0-9a-fA-F:.]/.test(text)) return null;
  try {
    const host = new URL(`http://[${text}]/`).hostname;
    return host.slice(1, -1);
  } catch {
    return null;
  }
}

function ipv6Bits(canonical: string): bigint {
  const [head = '', tail = ''] = canonical.includes('::') ? canonical.split('::') : [canonical, ''];
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const t = groups(tail);
  const all = canonical.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  let n = 0n;
  // The URL parser's text never has a dotted IPv4 tail: eight hex groups once expanded.
  for (const g of all) n = (n << 16n) | BigInt(parseInt(g, 16));
  return n;
}

function ipv6Text(bits: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((bits >> BigInt(i * 16)) & 0xffffn).toString(16));
  return ipv6Canonical(groups.join(':')) ?? groups.join(':');
}

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
  const v4 = ipv4Number(addr);
  const v6 = v4 === null ? ipv6Canonical(addr) : null;
  if (v4 === null && v6 === null) return null;
  const v: 4 | 6 = v4 !== null ? 4 : 6;
  const width = v === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (prefix > width) return null;
  const raw = v4 !== null ? BigInt(v4) : ipv6Bits(v6 ?? '');
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

function rangeText(r: Range): string {
  const addr = r.v === 4 ? ipv4Text(Number(r.bits)) : ipv6Text(r.bits);
  return `${addr}/${r.prefix}`;
}

/** Lower-case IDNA hostname through the URL parser, or null when not a plausible domain. */
function domainCanonical(text: string): string | null {
  const d = text.replace(/\.$/, '');
  if (!d.includes('.') || /[\s/:@?#\\[\]]/.test(d)) return null;
  let host: string;
  try {
    host = new URL(`http://${d}/`).hostname;
  } catch {
    return null;
  }
  const labels = host.split('.');
  const valid = labels.every((l) => /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/.test(l));
  const tld = labels[labels.length - 1] ?? '';
  if (!valid || host.length > 253 || !/^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld)) return null;
  return host;
}

function urlCanonical(text: string): string | null {
  return /^(https?|ftp):\/\//i.test(text) ? canonicalUrl(text) : null;
}

/** An address as a full-length range; IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address. */
function addressRange(text: string): Range | null {
  const r = parseRange(text);
  if (!r || text.includes('/')) return null;
  if (r.v === 6 && r.bits >> 32n === 0xffffn) return { v: 4, bits: r.bits & 0xffffffffn, prefix: 32 };
  return r;
}

/** `1.2.3.4:443` and `[2001:db8::1]:443`: the port is not part of the indicator. */
function addressWithPort(text: string): Range | null {
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
  if (v4?.[1]) return addressRange(v4[1]);
  const v6 = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/i.exec(text);
  return v6?.[1] ? addressRange(v6[1]) : null;
}

function addressDetected(r: Range): Detected {
  return r.v === 4 ? { type: 'ipv4', value: ipv4Text(Number(r.bits)) } : { type: 'ipv6', value: ipv6Text(r.bits) };
}

/**
 * The type and canonical value of a pasted indicator (defanged or not), or null. Follows
 * server/intel/normalize.ts `detect` rule for rule, so an offline answer names the same value.
 */
export function detect(raw: string): Detected | null {
  const text = refang(raw);
  if (text === '' || text.length > 2_048 || /\s/.test(text)) return null;
  for (const [len, type] of HASHES) {
    if (text.length === len && /^[0-9a-f]+$/i.test(text)) return { type, value: text.toLowerCase() };
  }
  const address = addressRange(text) ?? addressWithPort(text);
  if (address) return addressDetected(address);
  if (/^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f.]*:[0-9a-f:.]*)\/\d+$/i.test(text)) {
    const range = parseRange(text);
    if (!range) return null;
    if (range.prefix === (range.v === 4 ? 32 : 128)) return addressDetected(range);
    return { type: 'cidr', value: rangeText(range) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const url = urlCanonical(text);
    return url ? { type: 'url', value: url } : null;
  }
  const domain = domainCanonical(text);
  if (domain) return { type: 'domain', value: domain };
  // `host/path` without a scheme (seen in plain lists) is an http URL.
  const slash = text.indexOf('/');
  if (slash > 0 && (domainCanonical(text.slice(0, slash)) || addressRange(text.slice(0, slash)))) {
    const url = urlCanonical(`http://${text}`);
    return url ? { type: 'url', value: url } : null;
  }
  return null;
}

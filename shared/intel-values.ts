/**
 * The pure parts of indicator values that the server and the device must agree on: undoing
 * defanging, the one canonical URL form, IP address parsing, and the one classification of the
 * address ranges that are never public (`isNonRoutable`): private, loopback, link-local, CGNAT,
 * multicast, broadcast, reserved and documentation ranges, IPv4 and IPv6. Feeds such as FireHOL
 * level1 list those ranges; nothing in them is ever exported, matched, scored or looked up.
 *
 * No `node:` imports: the WHATWG URL parser is global in Node and in browsers.
 */

/** Undo the usual defanging: hxxp(s), fxp, [.] (.) {.} [dot], [:] [://], [@] [at]. */
export function undefang(raw: string): string {
  return raw
    .trim()
    .replace(/^h(?:xx|\*\*)p(s?)(?=\[?:)/i, (_m, s: string) => `http${s.toLowerCase()}`)
    .replace(/^fxp(?=\[?:)/i, 'ftp')
    .replace(/\[:\/\/\]/g, '://')
    .replace(/\[:\]/g, ':')
    .replace(/\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)/gi, '.')
    .replace(/\[@\]|\[at\]/gi, '@');
}

const URL_SCHEMES = new Set(['http:', 'https:', 'ftp:']);

/**
 * The canonical form of an (already undefanged) http(s)/ftp URL, or null: WHATWG serialisation
 * (scheme and host lower-cased, IDNA host, default port dropped, dot segments resolved), the
 * fragment dropped, path and query kept in the case they were written. Indicators and alert
 * observables both go through it, so `http://Evil.example/Invoice.PDF` is one value.
 */
export function canonicalUrl(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (!URL_SCHEMES.has(url.protocol) || url.hostname === '') return null;
  url.hash = '';
  return url.href;
}

/**
 * A URL observable as written by a tool or an analyst (defanged, scheme-less `host/path`) in its
 * canonical form; null when it is no URL.
 */
export function canonicalUrlObservable(raw: string): string | null {
  const text = undefang(raw);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return canonicalUrl(text);
  return /^[^/\s:@]+\.[^/\s:@]+\//.test(text) ? canonicalUrl(`http://${text}`) : null;
}

// ---- IP addresses -------------------------------------------------------------------------

export type Ip = { version: 4; n: number } | { version: 6; n: bigint };

export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
}

export function parseIpv6(text: string): bigint | null {
  if (!/^[0-9a-f:.]+$/i.test(text) || !text.includes(':')) return null;
  let head = text;
  let tail: number[] = [];
  // An embedded IPv4 tail (::ffff:1.2.3.4).
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = [Math.floor(v4 / 65536), v4 % 65536];
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const group = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = group(halves[0] ?? '');
  const right = halves.length === 2 ? group(halves[1] ?? '') : [];
  if (!left || !right) return null;
  const given = left.length + right.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return null;
  const groups = [...left, ...Array<number>(8 - given).fill(0), ...right, ...tail];
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(g);
  return n;
}

/** An IPv4 or IPv6 address; IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address. */
export function parseIp(text: string): Ip | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return { version: 4, n: v4 };
  const v6 = parseIpv6(text);
  if (v6 === null) return null;
  if (v6 >> 32n === 0xffffn) return { version: 4, n: Number(v6 & 0xffffffffn) };
  return { version: 6, n: v6 };
}

// ---- Never-public ranges ------------------------------------------------------------------

type Range = { version: 4; start: number; end: number } | { version: 6; start: bigint; end: bigint };

function rangeOf(cidr: string): Range | null {
  const [address = '', prefixText] = cidr.split('/');
  const ip = parseIp(address.replace(/^\[|\]$/g, ''));
  if (!ip) return null;
  const mappedShift = ip.version === 4 && address.includes(':') ? 96 : 0;
  const bits = ip.version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText) - mappedShift;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return null;
  if (ip.version === 4) {
    const size = 2 ** (32 - prefix);
    const start = Math.floor(ip.n / size) * size;
    return { version: 4, start, end: start + size - 1 };
  }
  const host = (1n << BigInt(128 - prefix)) - 1n;
  const start = ip.n & ~host;
  return { version: 6, start, end: start | host };
}

/** IANA special-purpose ranges that are never public. */
const NON_ROUTABLE: Range[] = [
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8',
  '100.64.0.0/10', // CGNAT
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // TEST-NET-1
  '192.88.99.0/24', // 6to4 relay anycast (deprecated)
  '192.168.0.0/16',
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // TEST-NET-2
  '203.0.113.0/24', // TEST-NET-3
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, incl. broadcast
  '::/128',
  '::1/128',
  '100::/64', // discard-only
  '2001:db8::/32', // documentation
  '3fff::/20', // documentation (RFC 9637)
  'fc00::/7', // unique local
  'fe80::/10', // link-local
  'ff00::/8', // multicast
].map((cidr) => rangeOf(cidr) as Range);

/**
 * True when an address or range is, or overlaps, a private / loopback / link-local / CGNAT /
 * multicast / reserved / documentation range (a 0.0.0.0/1 from a broken feed would otherwise
 * block or flag the organisation's own network). A value that is not an address or range is false.
 */
export function isNonRoutable(ipOrCidr: string): boolean {
  const range = rangeOf(ipOrCidr.trim());
  if (!range) return false;
  return NON_ROUTABLE.some((r) => r.version === range.version && r.start <= range.end && range.start <= r.end);
}

/** True when `inner` (an address or range) lies inside `outer` (a range or address). */
export function cidrContains(outer: string, inner: string): boolean {
  const a = rangeOf(outer);
  const b = rangeOf(inner);
  return a !== null && b !== null && a.version === b.version && a.start <= b.start && b.end <= a.end;
}

/**
 * True for an indicator (type and canonical value) that names a never-public address: an
 * address or range that `isNonRoutable`, or a URL whose host is one. Such values are kept and
 * searchable but never matched, looked up as a hit, put in a device's copy or exported.
 */
export function isNonPublicIndicator(type: string, value: string): boolean {
  if (type === 'ipv4' || type === 'ipv6' || type === 'cidr') return isNonRoutable(value);
  if (type !== 'url') return false;
  const host = urlHostOf(value);
  return host !== null && rangeOf(host) !== null && isNonRoutable(host);
}

/** The host of a URL without IPv6 brackets, or null. */
export function urlHostOf(url: string): string | null {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '') || null;
  } catch {
    return null;
  }
}

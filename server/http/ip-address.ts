/**
 * IP addresses as numbers, for the code that judges them: the client address taken from proxy
 * headers, the key login and webhook limits count under (one IPv6 /64 is one client), and the
 * feed SSRF guard. Pure; strict about syntax (dotted-quad IPv4 only, no zero-padded octets).
 */
import { isIP } from 'node:net';

/** An IPv6 address as its eight 16-bit groups. */
export type Ipv6Words = readonly [number, number, number, number, number, number, number, number];

const OCTET = /^(?:0|[1-9]\d{0,2})$/;

/** `a.b.c.d` → the 32-bit value; null for anything else. */
export function parseIpv4(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!OCTET.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The IPv4 address in the last 32 bits of an IPv6 address. */
export function embeddedIpv4(w: Ipv6Words, at = 6): number {
  return ((w[at] ?? 0) * 65_536 + (w[at + 1] ?? 0)) >>> 0;
}

/**
 * An IPv6 address (any RFC 4291 text form: `::` compression, a dotted IPv4 tail, upper or
 * lower case; a `%zone` suffix is dropped, the caller decides what a zone means) → its groups.
 */
export function parseIpv6(input: string): Ipv6Words | null {
  const s = input.split('%')[0] ?? '';
  if (isIP(s) !== 6) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string | undefined): number[] | null => {
    if (!part) return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i] ?? '';
      if (i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail] as unknown as Ipv6Words;
}

function formatIpv6Prefix64(w: Ipv6Words): string {
  return `${w
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** True when the first `bits` bits of `w` equal those of `prefix` (both as groups). */
export function inPrefix(w: Ipv6Words, prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if (((w[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** `[v6]:port`, `v4:port` and brackets removed: what some proxies write into X-Forwarded-For. */
export function stripPort(s: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracketed?.[1]) return bracketed[1];
  const v4 = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(s);
  return v4?.[1] ?? s;
}

/**
 * The key rate limits count an address under: IPv4 as it is (IPv4-mapped IPv6 too), IPv6 by
 * its /64 (one subscriber gets a whole /64, so counting single addresses would let one client
 * rotate through billions), anything else (e.g. `unknown`) as given.
 */
export function rateLimitKey(address: string): string {
  if (parseIpv4(address) !== null) return address;
  const w = parseIpv6(address);
  if (!w) return address;
  if (inPrefix(w, [0, 0, 0, 0, 0, 0xffff], 96)) return formatIpv4(embeddedIpv4(w));
  return formatIpv6Prefix64(w);
}

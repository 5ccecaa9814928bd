/**
 * Address ranges written as first and last address (DShield's block.txt `start<TAB>end<TAB>size`,
 * `start - end` lists) → the fewest CIDR blocks covering exactly that range. IPv4 and IPv6, as
 * 128-bit integers; at most 2 × bits blocks for any range.
 */
import { isIPv4, isIPv6 } from 'node:net';

type Address = { bits: 32 | 128; n: bigint };

function parseAddress(text: string): Address | null {
  if (isIPv4(text)) return { bits: 32, n: text.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  if (!isIPv6(text) || text.includes('%')) return null;
  let body = text;
  // A trailing dotted quad (::ffff:1.2.3.4) is two 16-bit groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (quad) {
    const v4 = parseAddress(quad[1] ?? '');
    if (!v4) return null;
    body = `${body.slice(0, -(quad[1] ?? '').length)}${(v4.n >> 16n).toString(16)}:${(v4.n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = body.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  if (groups.length !== 8) return null;
  return { bits: 128, n: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

function format(a: Address): string {
  if (a.bits === 32) return [24n, 16n, 8n, 0n].map((s) => String((a.n >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((a.n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return groups.join(':'); // canonicalised (RFC 5952) by detect() when the item is made
}

export type RangeResult = { ok: true; cidrs: string[] } | { ok: false; reason: string };

/** The CIDR blocks covering `first`..`last` (inclusive), or why the two are no range. */
export function rangeToCidrs(first: string, last: string): RangeResult {
  const a = parseAddress(first);
  const b = parseAddress(last);
  if (!a || !b) return { ok: false, reason: 'unrecognised line format' };
  if (a.bits !== b.bits) return { ok: false, reason: 'range mixes an IPv4 and an IPv6 address' };
  if (a.n > b.n) return { ok: false, reason: 'range ends before it starts' };
  const cidrs: string[] = [];
  let start = a.n;
  while (start <= b.n) {
    // The largest block aligned at `start` that does not pass `last`.
    let size = a.bits;
    while (size > 0) {
      const block = 1n << BigInt(a.bits - size + 1);
      if (start % block !== 0n || start + block - 1n > b.n) break;
      size--;
    }
    cidrs.push(`${format({ bits: a.bits, n: start })}/${size}`);
    start += 1n << BigInt(a.bits - size);
  }
  return { ok: true, cidrs };
}

/** Whether `text` is an IPv4 or IPv6 address (no range, no port). */
export const isAddress = (text: string): boolean => parseAddress(text) !== null;

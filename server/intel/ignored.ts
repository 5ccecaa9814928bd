/**
 * What the intel store keeps but never uses: indicators (or observables) that name a
 * never-public address (shared/intel-values.ts `isNonPublicIndicator`: private, loopback,
 * link-local, CGNAT, multicast, broadcast, reserved, documentation ranges, or a URL on one) and
 * anything the organisation allow-listed (`intel_allowlist`): the value itself, IPs inside and
 * ranges overlapping an allow-listed CIDR, subdomains of an allow-listed domain, URLs whose host
 * is any of those. Such values give no match, no reputation, no lookup hit, no snapshot row and
 * no block entry; the indicator's page says why (`ignored`).
 */
import { BlockList, isIP } from 'node:net';
import type { IndicatorType, IgnoredReason } from '../../shared/intel-api.ts';
import { isNonPublicIndicator, urlHostOf } from '../../shared/intel-values.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';

/** The allow-list as a matcher over IPs, ranges and domains. */
export interface Allowed {
  ip(value: string): boolean;
  range(cidr: string): boolean;
  domain(host: string): boolean;
}

export async function loadAllowed(sql: Sql | TransactionSql): Promise<Allowed> {
  const rows = await sql<{ value: string; net: string | null }[]>`SELECT value, net::text AS net FROM intel_allowlist`;
  const nets = new BlockList();
  const ranges: { net: string; prefix: number; family: 'ipv4' | 'ipv6' }[] = [];
  const domains = new Set<string>();
  for (const r of rows) {
    const netText = r.net ?? (isIP(r.value) ? r.value : null);
    if (netText) {
      const [addr = '', p] = netText.split('/');
      const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
      const prefix = p === undefined ? (family === 'ipv6' ? 128 : 32) : Number(p);
      nets.addSubnet(addr, prefix, family);
      ranges.push({ net: addr, prefix, family });
    } else {
      domains.add(r.value.toLowerCase().replace(/\.$/, ''));
    }
  }
  const familyOf = (a: string): 'ipv4' | 'ipv6' => (isIP(a) === 6 ? 'ipv6' : 'ipv4');
  return {
    ip: (value) => isIP(value) !== 0 && nets.check(value, familyOf(value)),
    // A range overlaps an allowed one when either contains the other's network address.
    range: (cidr) => {
      const [addr = '', p] = cidr.split('/');
      if (isIP(addr) === 0) return false;
      const family = familyOf(addr);
      if (nets.check(addr, family)) return true;
      const mine = new BlockList();
      mine.addSubnet(addr, Number(p ?? (family === 'ipv6' ? 128 : 32)), family);
      return ranges.some((r) => r.family === family && mine.check(r.net, family));
    },
    domain: (host) => {
      const h = host.toLowerCase().replace(/\.$/, '');
      for (let d = h; d; d = d.slice(d.indexOf('.') + 1)) {
        if (domains.has(d)) return true;
        if (!d.includes('.')) break;
      }
      return false;
    },
  };
}

/** Why a value is never matched or exported (`private_range` first), or null when it counts. */
export function ignoredReason(e: { type: IndicatorType; value: string }, allowed: Allowed): IgnoredReason | null {
  if (isNonPublicIndicator(e.type, e.value)) return 'private_range';
  switch (e.type) {
    case 'ipv4':
    case 'ipv6':
      return allowed.ip(e.value) ? 'allowlist' : null;
    case 'cidr':
      return allowed.range(e.value) ? 'allowlist' : null;
    case 'domain':
      return allowed.domain(e.value) ? 'allowlist' : null;
    case 'url': {
      const host = urlHostOf(e.value);
      if (host === null) return null;
      return (isIP(host) ? allowed.ip(host) : allowed.domain(host)) ? 'allowlist' : null;
    }
    default:
      return null;
  }
}

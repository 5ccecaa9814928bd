/**
 * Blocklist export for firewalls and proxies: the active indicators of a list (ip, domain, url,
 * hash) at or above a minimum score, as plain text (one value a line), CSV or a STIX 2.1 bundle.
 *
 * Never exported: private, loopback, link-local, CGNAT, multicast, reserved and documentation
 * ranges (`isNonRoutable`), and anything the organisation allow-listed — the value itself, IPs
 * inside and ranges overlapping an allow-listed CIDR, subdomains of an allow-listed domain, and
 * URLs whose host is any of those. Blocking one of those would cut the organisation off from
 * itself, so the filter runs on every export, whatever the feeds say.
 */
import { BlockList, isIP } from 'node:net';
import { v5 as uuidv5 } from 'uuid';
import { DomainError } from '../../shared/errors.ts';
import type { BLOCKLIST_NAMES, IndicatorType } from '../../shared/intel-api.ts';
import type { Sql } from '../db/connect.ts';
import { scoredIndicatorsSql } from './lookup.ts';
import { isNonRoutable } from './normalize.ts';

export type BlocklistName = (typeof BLOCKLIST_NAMES)[number];
export type BlocklistFormat = 'txt' | 'csv' | 'stix.json';

export const BLOCKLIST_TYPES: Record<BlocklistName, readonly IndicatorType[]> = {
  ip: ['ipv4', 'ipv6', 'cidr'],
  domain: ['domain'],
  url: ['url'],
  hash: ['md5', 'sha1', 'sha256'],
};

export interface BlockEntry {
  type: IndicatorType;
  value: string;
  score: number;
  last_seen: Date;
  tags: string[];
}

/** The types of a list, narrowed by the `types` parameter (comma-separated); 400 names the field. */
export function blocklistTypes(name: BlocklistName, types: string | undefined): IndicatorType[] {
  const allowed = BLOCKLIST_TYPES[name];
  if (!types) return [...allowed];
  const asked = types.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  const bad = asked.filter((t) => !(allowed as readonly string[]).includes(t));
  if (bad.length || asked.length === 0) {
    throw new DomainError('bad_request', `types: ${bad.length ? `"${bad.join(', ')}" not` : 'nothing'} in the ${name} list (allowed: ${allowed.join(', ')})`, { field: 'types' });
  }
  return asked as IndicatorType[];
}

/** The allow-list as a matcher over IPs, ranges and domains. */
export interface Allowed {
  ip(value: string): boolean;
  range(cidr: string): boolean;
  domain(host: string): boolean;
}

export async function loadAllowed(sql: Sql): Promise<Allowed> {
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

/** False for what must never become a block entry. */
export function blockable(e: Pick<BlockEntry, 'type' | 'value'>, allowed: Allowed): boolean {
  switch (e.type) {
    case 'ipv4':
    case 'ipv6':
      return !isNonRoutable(e.value) && !allowed.ip(e.value);
    case 'cidr':
      return !isNonRoutable(e.value) && !allowed.range(e.value);
    case 'domain':
      return !allowed.domain(e.value);
    case 'url': {
      let host: string;
      try {
        host = new URL(e.value).hostname.replace(/^\[|\]$/g, '');
      } catch {
        return false;
      }
      if (isIP(host)) return !isNonRoutable(host) && !allowed.ip(host);
      return !allowed.domain(host);
    }
    default:
      return true;
  }
}

/** The entries of a list: active, score ≥ minScore, blockable; ordered by type and value. */
export async function blocklistEntries(sql: Sql, types: readonly IndicatorType[], minScore: number, now = new Date()): Promise<BlockEntry[]> {
  const [allowed, rows] = await Promise.all([
    loadAllowed(sql),
    sql<BlockEntry[]>`
      WITH ${scoredIndicatorsSql(sql, now, sql`i.type = ANY(${types as IndicatorType[]}::text[]) AND i.base_confidence >= ${minScore}`)}
      SELECT type, value, score, last_seen, tags FROM scored WHERE active AND score >= ${minScore} ORDER BY type, value`,
  ]);
  return rows.filter((r) => blockable(r, allowed));
}

const csvField = (s: string): string => {
  // Spreadsheet formula injection: a cell starting with = + - @ is made text.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) || safe !== s ? `"${safe.replaceAll('"', '""')}"` : safe;
};

const STIX_NAMESPACE = '6f1f3c2e-9a51-5d2b-8a5e-3f0b6a7c1d24';

const stixString = (s: string): string => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

export function stixPattern(e: Pick<BlockEntry, 'type' | 'value'>): string {
  switch (e.type) {
    case 'ipv4':
      return `[ipv4-addr:value = ${stixString(e.value)}]`;
    case 'ipv6':
      return `[ipv6-addr:value = ${stixString(e.value)}]`;
    case 'cidr':
      return `[${e.value.includes(':') ? 'ipv6' : 'ipv4'}-addr:value = ${stixString(e.value)}]`;
    case 'domain':
      return `[domain-name:value = ${stixString(e.value)}]`;
    case 'url':
      return `[url:value = ${stixString(e.value)}]`;
    case 'md5':
      return `[file:hashes.MD5 = ${stixString(e.value)}]`;
    case 'sha1':
      return `[file:hashes.'SHA-1' = ${stixString(e.value)}]`;
    case 'sha256':
      return `[file:hashes.'SHA-256' = ${stixString(e.value)}]`;
  }
}

/** The response body and content type of a list in a format. */
export function renderBlocklist(name: BlocklistName, format: BlocklistFormat, entries: readonly BlockEntry[], now = new Date()): { body: string; contentType: string } {
  if (format === 'txt') return { body: entries.map((e) => `${e.value}\n`).join(''), contentType: 'text/plain; charset=utf-8' };
  if (format === 'csv') {
    const lines = entries.map((e) => [e.value, e.type, String(Math.round(e.score)), e.last_seen.toISOString(), e.tags.join(' ')].map(csvField).join(','));
    return { body: ['value,type,score,last_seen,tags', ...lines].join('\r\n') + '\r\n', contentType: 'text/csv; charset=utf-8' };
  }
  const stamp = now.toISOString();
  const objects = entries.map((e) => {
    const ts = e.last_seen.toISOString();
    return {
      type: 'indicator',
      spec_version: '2.1',
      id: `indicator--${uuidv5(`${e.type}:${e.value}`, STIX_NAMESPACE)}`,
      created: ts,
      modified: ts,
      name: e.value,
      indicator_types: ['malicious-activity'],
      pattern: stixPattern(e),
      pattern_type: 'stix',
      valid_from: ts,
      confidence: Math.round(e.score),
      ...(e.tags.length ? { labels: e.tags } : {}),
    };
  });
  const bundle = { type: 'bundle', id: `bundle--${uuidv5(`${name}:${stamp}`, STIX_NAMESPACE)}`, objects };
  return { body: JSON.stringify(bundle), contentType: 'application/stix+json;version=2.1' };
}

/**
 * Blocklist export for firewalls and proxies: the active indicators of a list (ip, domain, url,
 * hash) at or above a minimum score, as plain text (one value a line), CSV or a STIX 2.1 bundle.
 *
 * Never exported: what `ignoredReason` (ignored.ts) names — never-public ranges and the
 * allow-list. Blocking one of those would cut the organisation off from itself, so the filter
 * runs on every export, whatever the feeds say.
 */
import { v5 as uuidv5 } from 'uuid';
import { DomainError } from '../../shared/errors.ts';
import type { BLOCKLIST_NAMES, IndicatorType } from '../../shared/intel-api.ts';
import type { Sql } from '../db/connect.ts';
import { scoredIndicatorsSql } from './lookup.ts';
import { ignoredReason, loadAllowed, type Allowed } from './ignored.ts';

export type BlocklistName = (typeof BLOCKLIST_NAMES)[number];
export type BlocklistFormat = 'txt' | 'csv' | 'stix.json';

const BLOCKLIST_TYPES: Record<BlocklistName, readonly IndicatorType[]> = {
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
  const asked = types
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  const bad = asked.filter((t) => !(allowed as readonly string[]).includes(t));
  if (bad.length || asked.length === 0) {
    throw new DomainError('bad_request', `types: ${bad.length ? `"${bad.join(', ')}" not` : 'nothing'} in the ${name} list (allowed: ${allowed.join(', ')})`, {
      field: 'types',
    });
  }
  return asked as IndicatorType[];
}

/** False for what must never become a block entry (never public, or allow-listed). */
function blockable(e: Pick<BlockEntry, 'type' | 'value'>, allowed: Allowed): boolean {
  return ignoredReason(e, allowed) === null;
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

function stixPattern(e: Pick<BlockEntry, 'type' | 'value'>): string {
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
export function renderBlocklist(
  name: BlocklistName,
  format: BlocklistFormat,
  entries: readonly BlockEntry[],
  now = new Date(),
): { body: string; contentType: string } {
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

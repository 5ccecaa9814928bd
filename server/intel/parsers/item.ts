/**
 * Building a ParsedItem from a raw value and what a feed says about it: detection and
 * canonical form (normalize.ts), timestamps to ISO-8601, TLP labels, tag lists, and the
 * "type column says X" hint of CSV / JSON feeds.
 */
import type { IndicatorType } from '../../../shared/intel-api.ts';
import { detect } from '../../../shared/indicator-normalize.ts';
import type { ParsedItem, Tlp } from './types.ts';

export type ItemExtras = Omit<ParsedItem, 'type' | 'value' | 'net'>;

/** An item for `raw`, or the reason it is not one. `hint` is a feed's own type label. */
export function makeItem(raw: string, extras: ItemExtras, hint?: string): { item: ParsedItem } | { reason: string } {
  const detected = detect(raw);
  if (!detected) return { reason: raw.trim() === '' ? 'empty value' : 'not an IP, CIDR, domain, URL or MD5/SHA-1/SHA-256 hash' };
  if (hint !== undefined) {
    const hinted = typesForLabel(hint);
    if (hinted === 'unsupported') return { reason: `unsupported type "${hint.slice(0, 40)}"` };
    if (hinted && !hinted.includes(detected.type)) return { reason: `type "${hint.slice(0, 40)}" does not match the value (a ${detected.type})` };
  }
  const item: ParsedItem =
    detected.net === undefined ? { type: detected.type, value: detected.value } : { type: detected.type, value: detected.value, net: detected.net };
  for (const key in extras) {
    const value = extras[key as keyof ItemExtras];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    (item as Record<string, unknown>)[key] = value;
  }
  return { item };
}

const IP: IndicatorType[] = ['ipv4', 'ipv6'];
const IP_OR_RANGE: IndicatorType[] = ['ipv4', 'ipv6', 'cidr'];
const DOMAIN: IndicatorType[] = ['domain'];
const LABELS: Record<string, IndicatorType[] | 'unsupported'> = {
  ip: IP,
  'ip:port': IP,
  ipv4: IP,
  ipv6: IP,
  'ipv4-addr': IP_OR_RANGE,
  'ipv6-addr': IP_OR_RANGE,
  'ip-src': IP,
  'ip-dst': IP,
  cidr: IP_OR_RANGE,
  netblock: IP_OR_RANGE,
  'ip-range': IP_OR_RANGE,
  domain: DOMAIN,
  hostname: DOMAIN,
  fqdn: DOMAIN,
  'domain-name': DOMAIN,
  url: ['url'],
  uri: ['url'],
  md5: ['md5'],
  md5_hash: ['md5'],
  'filehash-md5': ['md5'],
  sha1: ['sha1'],
  sha1_hash: ['sha1'],
  'sha-1': ['sha1'],
  'filehash-sha1': ['sha1'],
  sha256: ['sha256'],
  sha256_hash: ['sha256'],
  'sha-256': ['sha256'],
  'filehash-sha256': ['sha256'],
  email: 'unsupported',
  'email-src': 'unsupported',
  cve: 'unsupported',
  sha512: 'unsupported',
  'sha-512': 'unsupported',
  imphash: 'unsupported',
  ssdeep: 'unsupported',
  tlsh: 'unsupported',
  yara: 'unsupported',
  mutex: 'unsupported',
};

/** The indicator types a feed's label allows; undefined = unknown label (trust detection). */
export function typesForLabel(label: string): IndicatorType[] | 'unsupported' | undefined {
  const key = label.trim().toLowerCase();
  return key === '' ? undefined : LABELS[key];
}

/** ISO-8601 UTC for ISO text, `YYYY-MM-DD HH:MM:SS` (taken as UTC), a date, or epoch seconds/ms. */
export function toIsoTime(raw: unknown): string | undefined {
  if (typeof raw === 'number' && Number.isFinite(raw)) return new Date(raw < 1e11 ? raw * 1000 : raw).toISOString();
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^\d{9,13}$/.test(text)) return toIsoTime(Number(text));
  const spaced = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/.exec(text);
  const normalized = spaced ? `${spaced[1]}T${spaced[2]}Z` : /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(normalized)) return undefined;
  const ms = Date.parse(normalized);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** A TLP level from `TLP:AMBER`, `tlp:white` (→ clear), `amber+strict`, else undefined. */
export function parseTlp(raw: unknown): Tlp | undefined {
  if (typeof raw !== 'string') return undefined;
  const level = raw
    .trim()
    .toLowerCase()
    .replace(/^tlp:\s*/, '');
  if (level === 'white' || level === 'clear') return 'clear';
  if (level === 'green' || level === 'amber' || level === 'red' || level === 'amber+strict') return level;
  return undefined;
}

const TLP_RANK: Record<Tlp, number> = { clear: 0, green: 1, amber: 2, 'amber+strict': 3, red: 4 };

/** The stricter of two TLP levels (either may be absent). */
function stricterTlp(a: Tlp | undefined, b: Tlp | undefined): Tlp | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return TLP_RANK[a] >= TLP_RANK[b] ? a : b;
}

/**
 * TLP from several labels a source gives for one item (OTX writes `TLP`, older exports `tlp`):
 * the strictest known one, and whether a present label was no known level.
 */
export function tlpOfLabels(labels: unknown[]): { tlp?: Tlp; tlp_unrecognised?: true } {
  let tlp: Tlp | undefined;
  let unrecognised = false;
  for (const label of labels) {
    if (label === undefined || label === null || (typeof label === 'string' && label.trim() === '')) continue;
    const level = parseTlp(label);
    if (level) tlp = stricterTlp(tlp, level);
    else unrecognised = true;
  }
  return { ...(tlp ? { tlp } : {}), ...(unrecognised ? { tlp_unrecognised: true as const } : {}) };
}

/**
 * The TLP an item is stored with given its feed's: its own, except that an item whose source
 * label was not understood takes the stricter of its known label and the feed's, never a looser one.
 */
export function floorTlp(item: Pick<ParsedItem, 'tlp' | 'tlp_unrecognised'>, feedTlp: Tlp): Tlp | undefined {
  return item.tlp_unrecognised ? stricterTlp(item.tlp, feedTlp) : item.tlp;
}

/** Confidence 0-100 from a number or numeric text, else undefined. */
export function toConfidence(raw: unknown): number | undefined {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  return Number.isFinite(n) && n >= 0 && n <= 100 ? n : undefined;
}

/** A list of short strings from an array or a comma/semicolon list; capped and de-duplicated. */
export function toList(raw: unknown): string[] {
  const values = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[,;|]/) : [];
  const out = new Set<string>();
  for (const v of values) {
    if (typeof v !== 'string') continue;
    const text = v.trim();
    if (text !== '' && text.length <= 200 && text.toLowerCase() !== 'none' && text.toLowerCase() !== 'n/a') out.add(text);
    if (out.size >= 50) break;
  }
  return [...out];
}

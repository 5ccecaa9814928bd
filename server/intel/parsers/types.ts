/**
 * What every feed parser yields: indicators in canonical form (shared/indicator-normalize.ts), the
 * objects they relate to (STIX malware / actors / attack patterns, CISA KEV vulnerabilities), and
 * the lines or items it could not use, each with a reason, so a feed run can count and sample
 * them. Parsers are streaming: they yield as they read and never throw on bad content (a broken
 * line, an unsupported item, a truncated document are `skipped` events).
 */
import type { IndicatorType, TLP_LEVELS } from '../../../shared/intel-api.ts';

export type Tlp = (typeof TLP_LEVELS)[number];

export type ParsedItem = {
  type: IndicatorType;
  /** Canonical value (shared/indicator-normalize.ts `detect`). */
  value: string;
  /** inet text for ipv4 / ipv6 / cidr (`1.2.3.4`, `10.0.0.0/8`). */
  net?: string;
  /** 0-100, when the item carries its own (else the feed's default applies). */
  confidence?: number;
  /** ISO-8601 timestamps. */
  first_seen?: string;
  last_seen?: string;
  valid_until?: string;
  tags?: string[];
  malware?: string[];
  actors?: string[];
  /** MITRE ATT&CK technique ids (T1059, T1566.001). */
  techniques?: string[];
  tlp?: Tlp;
  /**
   * The source gave a TLP label that is no known level: the item may not end up looser than the
   * feed's TLP (the runner applies the stricter of `tlp` and the feed's, see `floorTlp`).
   */
  tlp_unrecognised?: true;
};

/** A line (1-based, null for a whole document or a JSON item) or item that was not used. */
export type Skipped = { line: number | null; text: string; reason: string };

/** A row for `intel_objects` (migration 009). */
export type IntelObject = {
  /** The STIX id (`malware--…`), or `cve:CVE-2021-44228` for CISA KEV. */
  id: string;
  kind: 'malware' | 'tool' | 'threat-actor' | 'intrusion-set' | 'attack-pattern' | 'vulnerability';
  name: string;
  /** ATT&CK id for attack patterns (T1566.001), CVE id for vulnerabilities, else any source's external id. */
  external_id: string | null;
  data: Record<string, unknown>;
};

/** Exactly one of the three is set. */
export type ParseEvent = { item?: ParsedItem; skipped?: Skipped; object?: IntelObject };

/** Reported every PROGRESS_EVERY records and once at the end. */
type ParseProgress = { records: number; items: number; skipped: number };
export type OnProgress = (progress: ParseProgress) => void;

export type ParserInput = AsyncIterable<Uint8Array | string>;

/** Texts in skipped samples are cut to this many characters (they are shown to admins). */
const SAMPLE_TEXT_MAX = 200;
/** A line longer than this is skipped (not buffered further). */
export const MAX_LINE_CHARS = 64 * 1024;
/** JSON / STIX / MISP documents are buffered whole up to this size; larger ones are refused. */
export const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;
export const PROGRESS_EVERY = 10_000;

export function skip(line: number | null, text: string, reason: string): ParseEvent {
  return { skipped: { line, text: text.length > SAMPLE_TEXT_MAX ? `${text.slice(0, SAMPLE_TEXT_MAX)}…` : text, reason } };
}

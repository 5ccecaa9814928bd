/**
 * JSON feeds, read as one document (capped; a truncated one keeps what was complete):
 * - `preset: 'otx'`: AlienVault OTX pulses (`results[]` / `pulses[]` / one pulse / an array),
 *   each pulse's `indicators[]` with its tags, malware families, ATT&CK ids, adversary and TLP
 *   (`TLP` or `tlp`; an unknown label never makes an item looser than its feed's TLP);
 * - `preset: 'cisa_kev'`: the CISA Known Exploited Vulnerabilities catalog. KEV lists CVEs, not
 *   IoCs: each entry becomes an intel object (kind 'vulnerability', id `cve:<CVE id>`) and no
 *   indicator (entries without a CVE id are skipped);
 * - `expression`: a JSONata expression over the document giving `[{ value, type?, confidence?,
 *   first_seen?, last_seen?, valid_until?, tags?, malware?, actors?, techniques?, tlp? }]` (or
 *   plain strings); a `tlp` that is no known level is flagged, as OTX's are, so the item is stored
 *   at the stricter of it and the feed's TLP and the run counts it;
 * - neither: an array of strings or of such objects.
 */
import jsonata from 'jsonata';
import type { z } from 'zod';
import type { feedOptionsSchema } from '../../../shared/intel-api.ts';
import { makeItem, tlpOfLabels, toConfidence, toIsoTime, toList, typesForLabel } from './item.ts';
import { parseJsonDocument } from './json-document.ts';
import { readDocument } from './read-input.ts';
import { MAX_DOCUMENT_BYTES, skip, type ParseEvent, type ParserInput } from './types.ts';

type FeedOptions = z.infer<typeof feedOptionsSchema>;
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const TECHNIQUE = /^T\d{4}(?:\.\d{3})?$/;

/** Reads and parses a whole document; yields the skip for a too large, broken or truncated one. */
export async function* readJson(input: ParserInput): AsyncGenerator<ParseEvent, { value: unknown; truncated: boolean } | null> {
  const { text, tooLarge } = await readDocument(input);
  if (tooLarge) {
    yield skip(null, '', `document larger than ${MAX_DOCUMENT_BYTES / 1024 / 1024} MiB`);
    return null;
  }
  const doc = parseJsonDocument(text);
  if (!doc.ok) {
    yield skip(null, text.slice(0, 200), doc.reason);
    return null;
  }
  return { value: doc.value, truncated: doc.truncated };
}

export const TRUNCATED_REASON = 'document truncated: only the complete items before the cut were read';

export async function* parseJson(input: ParserInput, options: FeedOptions): AsyncGenerator<ParseEvent> {
  const doc = yield* readJson(input);
  if (!doc) return;
  if (options.preset === 'otx') yield* otx(doc.value);
  else if (options.preset === 'cisa_kev') yield* cisaKev(doc.value);
  else if (options.expression !== undefined) yield* feedExpression(doc.value, options.expression);
  else yield* generic(doc.value);
  if (doc.truncated) yield skip(null, '', TRUNCATED_REASON);
}

function* otx(doc: unknown): Generator<ParseEvent> {
  const pulses = Array.isArray(doc) ? doc : isObject(doc) ? (doc.results ?? doc.pulses ?? (Array.isArray(doc.indicators) ? [doc] : null)) : null;
  if (!Array.isArray(pulses)) {
    yield skip(null, '', 'not OTX pulses: expected results[], pulses[] or a pulse with indicators[]');
    return;
  }
  for (const pulse of pulses) {
    if (!isObject(pulse) || !Array.isArray(pulse.indicators)) {
      yield skip(null, JSON.stringify(pulse ?? null), 'pulse without indicators[]');
      continue;
    }
    const names = (list: unknown, key: string) => (Array.isArray(list) ? list.map((v) => (isObject(v) ? v[key] : v)) : []);
    const shared = {
      tags: toList(pulse.tags),
      malware: toList(names(pulse.malware_families, 'display_name')),
      actors: toList(typeof pulse.adversary === 'string' ? [pulse.adversary] : []),
      techniques: toList(names(pulse.attack_ids, 'id')).filter((t) => TECHNIQUE.test(t)),
      // OTX's own pulses write `TLP` ("white"); some exports and mirrors `tlp`.
      ...tlpOfLabels([pulse.TLP, pulse.tlp]),
    };
    for (const indicator of pulse.indicators) {
      const text = JSON.stringify(indicator ?? null);
      if (!isObject(indicator) || typeof indicator.indicator !== 'string' || typeof indicator.type !== 'string') {
        yield skip(null, text, 'indicator without indicator/type');
        continue;
      }
      const known = typesForLabel(indicator.type);
      if (!known || known === 'unsupported') {
        yield skip(null, text, `unsupported OTX type "${indicator.type.slice(0, 40)}"`);
        continue;
      }
      if (indicator.is_active === 0 || indicator.is_active === false) {
        yield skip(null, text, 'inactive in OTX');
        continue;
      }
      const made = makeItem(
        indicator.indicator,
        { ...shared, first_seen: toIsoTime(indicator.created), valid_until: toIsoTime(indicator.expiration) },
        indicator.type,
      );
      yield 'item' in made ? made : skip(null, text, made.reason);
    }
  }
}

function* cisaKev(doc: unknown): Generator<ParseEvent> {
  if (!isObject(doc) || !Array.isArray(doc.vulnerabilities)) {
    yield skip(null, '', 'not the CISA KEV catalog: expected vulnerabilities[]');
    return;
  }
  for (const v of doc.vulnerabilities) {
    if (!isObject(v) || typeof v.cveID !== 'string' || !/^CVE-\d{4}-\d{4,}$/.test(v.cveID)) {
      yield skip(null, JSON.stringify(v ?? null), 'KEV entry without a CVE id');
      continue;
    }
    const text = (key: string) => (typeof v[key] === 'string' ? (v[key] as string).slice(0, 2_000) : undefined);
    yield {
      object: {
        id: `cve:${v.cveID}`,
        kind: 'vulnerability',
        name: text('vulnerabilityName') ?? v.cveID,
        external_id: v.cveID,
        data: {
          source: 'cisa_kev',
          vendor: text('vendorProject'),
          product: text('product'),
          description: text('shortDescription'),
          date_added: text('dateAdded'),
          due_date: text('dueDate'),
          required_action: text('requiredAction'),
          ransomware: text('knownRansomwareCampaignUse'),
        },
      },
    };
  }
}

/**
 * Bounds on an admin's JSONata expression (jsonata's own checks, evaluated as it runs): a feed
 * run must not hold the server's event loop, whatever the expression or the document.
 */
const EXPRESSION_LIMITS = { timeout: 10_000, stack: 500 } as const;

export async function* feedExpression(
  doc: unknown,
  source: string,
  limits: { timeout: number; stack: number } = EXPRESSION_LIMITS,
): AsyncGenerator<ParseEvent> {
  let result: unknown;
  try {
    result = await jsonata(source, limits).evaluate(doc);
  } catch (error) {
    yield skip(null, source, `expression failed: ${String((error as { message?: unknown }).message ?? error).slice(0, 150)}`);
    return;
  }
  yield* generic(result === undefined ? [] : Array.isArray(result) ? result : [result]);
}

function* generic(doc: unknown): Generator<ParseEvent> {
  if (!Array.isArray(doc)) {
    yield skip(null, '', 'expected an array of values or of { value, type?, … } (or set a preset or an expression)');
    return;
  }
  for (const entry of doc) {
    if (typeof entry === 'string') {
      const made = makeItem(entry, {});
      yield 'item' in made ? made : skip(null, entry, made.reason);
      continue;
    }
    const text = JSON.stringify(entry ?? null) ?? '';
    if (!isObject(entry) || typeof entry.value !== 'string') {
      yield skip(null, text, 'item without a string "value"');
      continue;
    }
    const made = makeItem(
      entry.value,
      {
        confidence: toConfidence(entry.confidence),
        first_seen: toIsoTime(entry.first_seen),
        last_seen: toIsoTime(entry.last_seen),
        valid_until: toIsoTime(entry.valid_until),
        tags: toList(entry.tags),
        malware: toList(entry.malware),
        actors: toList(entry.actors),
        techniques: toList(entry.techniques).filter((t) => TECHNIQUE.test(t)),
        // An unknown label is kept as "not understood": the runner stores the item at the
        // stricter of what it could read and the feed's TLP, and counts it (never looser).
        ...tlpOfLabels([entry.tlp]),
      },
      typeof entry.type === 'string' ? entry.type : undefined,
    );
    yield 'item' in made ? made : skip(null, text, made.reason);
  }
}

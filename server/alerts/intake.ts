/**
 * From a request body to intake items: the `format` query names the shape (native, suricata,
 * wazuh, ecs, webhook:<mapping-id>); a body may hold one event, an array, `{ "alerts": [...] }`
 * (native), a search response's `hits.hits` (ecs), an array at the mapping's `items_path`
 * (webhook), or NDJSON (one event per line, e.g. Suricata's eve.json). Each event goes through
 * its adapter and the native schema; an event the adapter ignores (a Suricata dns or flow
 * record) becomes an ignored item with the reason; a bad event (one holding a lone surrogate or NUL too:
 * shared/safe-text.ts, or nested deeper than shared/json-depth.ts allows) becomes a failed item
 * naming its fields.
 */
import { MAX_ALERTS_PER_BATCH, MAX_RAW_EVENT_BYTES, type AlertMapping } from '../../shared/alerts-api.ts';
import { DomainError } from '../../shared/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { MAX_JSON_DEPTH, nestsAtMost } from '../../shared/json-depth.ts';
import { err } from '../../shared/result.ts';
import { findUnsafeText } from '../../shared/safe-text.ts';
import { unsafeTextMessage } from '../http/validation.ts';
import { fromEcs } from './adapters/ecs.ts';
import { at, isRecord, type Adapter } from './adapters/payload.ts';
import { fromSuricata } from './adapters/suricata.ts';
import { fromWazuh } from './adapters/wazuh.ts';
import { fromWebhook } from './adapters/webhook.ts';
import type { IntakeItem } from './ingest.ts';
import { validateAlert } from './normalize.ts';

const FORMAT_NAMES = 'native, suricata, wazuh, ecs or webhook:<mapping-id>';

const ADAPTERS: Record<string, Adapter> = { suricata: fromSuricata, wazuh: fromWazuh, ecs: fromEcs };

export type FormatSpec = { kind: 'native' } | { kind: 'tool'; name: string; adapter: Adapter } | { kind: 'webhook'; mappingId: string };

/** Parse `?format=`; unknown names are a 400 that names the format and the accepted ones. */
export function parseFormat(format: string | undefined): FormatSpec {
  if (format === undefined || format === '' || format === 'native') return { kind: 'native' };
  const adapter = ADAPTERS[format];
  if (adapter && Object.hasOwn(ADAPTERS, format)) return { kind: 'tool', name: format, adapter };
  if (format.startsWith('webhook:')) {
    const id = format.slice('webhook:'.length);
    if (!isUuid(id)) throw new DomainError('bad_request', `query parameter "format": webhook mapping id "${id}" is not a UUID`, { format });
    return { kind: 'webhook', mappingId: id.toLowerCase() };
  }
  throw new DomainError('bad_request', `query parameter "format": unknown format "${format}" (expected ${FORMAT_NAMES})`, { format });
}

type Parsed = { ok: true; value: unknown } | { ok: false; line: number };

/** The body's events: whole-body JSON, or NDJSON when `ndjson` is allowed and the whole does not parse. */
function events(text: string, ndjson: boolean, unwrap: (v: unknown) => unknown[] | null): Parsed[] {
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    if (!ndjson) throw new DomainError('bad_request', 'body: not valid JSON');
    const out: Parsed[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        out.push({ ok: true, value: JSON.parse(line) });
      } catch {
        out.push({ ok: false, line: i + 1 });
      }
    });
    if (out.length === 0) throw new DomainError('bad_request', 'body: no events');
    return out;
  }
  const list = unwrap(whole) ?? (Array.isArray(whole) ? whole : [whole]);
  return list.map((value) => ({ ok: true, value }));
}

function checkSize(n: number): void {
  if (n > MAX_ALERTS_PER_BATCH)
    throw new DomainError('payload_too_large', `${n} alerts in one request: at most ${MAX_ALERTS_PER_BATCH} per batch`, {
      count: n,
      max: MAX_ALERTS_PER_BATCH,
    });
}

export function intakeItems(text: string, spec: FormatSpec, mapping: AlertMapping | null): IntakeItem[] {
  let parsed: Parsed[];
  let adapter: Adapter | null = null;
  let format = 'native';
  if (spec.kind === 'native') {
    parsed = events(text, false, (v) => {
      if (isRecord(v) && Object.hasOwn(v, 'alerts')) {
        if (!Array.isArray(v['alerts'])) throw new DomainError('bad_request', 'body field "alerts": expected an array of alerts');
        return v['alerts'];
      }
      return null;
    });
  } else if (spec.kind === 'tool') {
    format = spec.name;
    adapter = spec.adapter;
    parsed = events(text, true, (v) => {
      const hits = spec.name === 'ecs' ? at(v, 'hits.hits') : undefined;
      return Array.isArray(hits) ? hits : null;
    });
  } else {
    if (!mapping)
      throw new DomainError('bad_request', `query parameter "format": no webhook mapping ${spec.mappingId}`, { format: `webhook:${spec.mappingId}` });
    format = `webhook:${mapping.id}`;
    adapter = fromWebhook(mapping);
    parsed = events(text, true, (v) => {
      if (!mapping.items_path) return null;
      const list = at(v, mapping.items_path);
      if (!Array.isArray(list)) throw new DomainError('bad_request', `body: no array at the mapping's items_path "${mapping.items_path}"`);
      return list;
    });
  }
  checkSize(parsed.length);
  return parsed.map((p, index): IntakeItem => {
    if (!p.ok) return { index, raw: null, format, alert: err([`line ${p.line}: not valid JSON`]) };
    const unsafe = findUnsafeText(p.value);
    if (unsafe) return { index, raw: null, format, alert: err([unsafeTextMessage('json', unsafe, 'event field')]) };
    // Measuring, adapting and storing the event all recurse: thousands of levels overflowed the stack.
    if (!nestsAtMost(p.value, MAX_JSON_DEPTH))
      return { index, raw: null, format, alert: err([`event: nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`]) };
    const size = Buffer.byteLength(JSON.stringify(p.value) ?? '');
    if (size > MAX_RAW_EVENT_BYTES) return { index, raw: null, format, alert: err([`event: ${size} bytes, at most ${MAX_RAW_EVENT_BYTES} per alert`]) };
    if (!adapter) return { index, raw: p.value, format, alert: validateAlert(p.value, { lenient: false }) };
    const candidate = adapter(p.value);
    if (!candidate.ok && 'ignored' in candidate) return { index, raw: p.value, format, alert: err([candidate.ignored]), ignored: true };
    return { index, raw: p.value, format, alert: candidate.ok ? validateAlert(candidate.value, { lenient: true }) : candidate };
  });
}

/**
 * STIX 2.1: bundles (`{ type: 'bundle', objects: [...] }`) and the object streams of a TAXII
 * collection. Indicator objects with a STIX pattern give one item per value the pattern tests
 * (stix-pattern.ts); `valid_from` / `valid_until`, `confidence`, `labels` / `indicator_types`
 * (as tags) and TLP markings (the TLP 1.0 marking ids, or marking-definition objects in the same
 * bundle) are kept. Relationships from an indicator to malware, threat actors, intrusion sets
 * and attack patterns give its malware / actors / techniques (ATT&CK `external_id` from the
 * `mitre-attack` reference); those objects, and tools (named with the malware), are also yielded
 * as intel objects, with the external id of any source (`mitre-attack` and `cve` first).
 *
 * Revoked objects (`revoked: true`, or the source of a `revoked-by` relationship) and deprecated
 * ones (`x_mitre_deprecated: true`) are not live: they are skipped with that reason, and an
 * indicator related to a revoked object takes the object that replaced it, if the bundle has it.
 * (ATT&CK keeps both the old and the new object in its bundles; storing both made duplicates.)
 *
 * Relationships may come after the indicators they name, so objects are held until the end:
 * one bundle, or the relevant part of one TAXII poll (capped at MAX_STIX_OBJECTS).
 */
import { makeItem, parseTlp, toConfidence, toIsoTime, toList } from './item.ts';
import { readJson, TRUNCATED_REASON } from './json.ts';
import { parseStixPattern } from './stix-pattern.ts';
import { skip, type IntelObject, type ParseEvent, type ParserInput, type Tlp } from './types.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Indicators and related objects held from one TAXII poll. */
const MAX_STIX_OBJECTS = 500_000;

/** The TLP 1.0 marking definitions every STIX producer shares (STIX 2.1 §7.2.1.4). */
const TLP_MARKINGS: Record<string, Tlp> = {
  'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9': 'clear',
  'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da': 'green',
  'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82': 'amber',
  'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed': 'red',
};

const RELATED_KINDS = new Set<IntelObject['kind']>(['malware', 'tool', 'threat-actor', 'intrusion-set', 'attack-pattern', 'vulnerability']);

export async function* parseStixBundle(input: ParserInput): AsyncGenerator<ParseEvent> {
  const doc = yield* readJson(input);
  if (!doc) return;
  const objects = isObject(doc.value) && Array.isArray(doc.value.objects) ? doc.value.objects : null;
  if (!objects) {
    yield skip(null, '', 'not a STIX bundle: expected { "type": "bundle", "objects": [...] }');
    return;
  }
  yield* stixEvents(objects);
  if (doc.truncated) yield skip(null, '', TRUNCATED_REASON);
}

/**
 * The events of a stream of STIX objects (a TAXII collection, see taxii.ts). Only what the
 * events need is held (indicators' used fields, relationship ends, related objects, TLP
 * markings); reports, observed data, identities and the like are dropped as they arrive.
 */
export async function* parseStixObjects(objects: AsyncIterable<unknown>): AsyncGenerator<ParseEvent> {
  const held: Json[] = [];
  for await (const object of objects) {
    const kept = compact(object);
    if (!kept) continue;
    if (held.length >= MAX_STIX_OBJECTS) {
      yield skip(null, '', `more than ${MAX_STIX_OBJECTS} indicators and related objects in one poll: the rest was not read`);
      break;
    }
    held.push(kept);
  }
  yield* stixEvents(held);
}

const INDICATOR_FIELDS = [
  'id',
  'type',
  'pattern',
  'pattern_type',
  'revoked',
  'x_mitre_deprecated',
  'confidence',
  'valid_from',
  'valid_until',
  'created',
  'modified',
  'labels',
  'indicator_types',
  'object_marking_refs',
];

function compact(object: unknown): Json | null {
  if (!isObject(object) || typeof object.type !== 'string') return null;
  if (object.type === 'indicator') return Object.fromEntries(INDICATOR_FIELDS.filter((k) => k in object).map((k) => [k, object[k]]));
  if (object.type === 'relationship')
    return { id: object.id, type: object.type, relationship_type: object.relationship_type, source_ref: object.source_ref, target_ref: object.target_ref };
  if (object.type === 'marking-definition' || RELATED_KINDS.has(object.type as IntelObject['kind'])) return object;
  return null;
}

/** The external id: `mitre-attack`'s or `cve`'s first, else the first reference with any source name. */
function externalId(object: Json): string | null {
  const refs = (Array.isArray(object.external_references) ? object.external_references : []).filter(
    (ref): ref is Json & { source_name: string; external_id: string } =>
      isObject(ref) && typeof ref.source_name === 'string' && typeof ref.external_id === 'string' && ref.external_id !== '',
  );
  const preferred = refs.find((ref) => ref.source_name === 'mitre-attack' || ref.source_name === 'cve') ?? refs[0];
  return preferred ? preferred.external_id.slice(0, 200) : null;
}

/** Why an object is not live, or null when it is. */
function notLive(object: Json, revokedBy: Map<string, string>): string | null {
  if (object.revoked === true) return 'revoked';
  const by = revokedBy.get(object.id as string);
  if (by !== undefined) return `revoked by ${by.slice(0, 100)}`;
  if (object.x_mitre_deprecated === true) return 'deprecated';
  return null;
}

function* stixEvents(objects: unknown[]): Generator<ParseEvent> {
  const byId = new Map<string, Json>();
  const related = new Map<string, string[]>();
  const revokedBy = new Map<string, string>();
  const markings = new Map<string, Tlp>(Object.entries(TLP_MARKINGS));
  for (const object of objects) {
    if (!isObject(object) || typeof object.id !== 'string' || typeof object.type !== 'string') continue;
    byId.set(object.id, object);
    if (object.type === 'relationship' && typeof object.source_ref === 'string' && typeof object.target_ref === 'string') {
      if (object.relationship_type === 'revoked-by') revokedBy.set(object.source_ref, object.target_ref);
      else related.set(object.source_ref, [...(related.get(object.source_ref) ?? []), object.target_ref]);
    } else if (object.type === 'marking-definition') {
      const definition = isObject(object.definition) ? object.definition : {};
      const tlp = parseTlp(typeof object.name === 'string' ? object.name : definition.tlp);
      if (tlp && (object.definition_type === 'tlp' || typeof object.name === 'string')) markings.set(object.id, tlp);
    }
  }
  for (const object of byId.values()) {
    const kind = object.type as IntelObject['kind'];
    if (!RELATED_KINDS.has(kind)) continue;
    if (typeof object.name !== 'string') {
      yield skip(null, String(object.id), `${kind} without a name`);
      continue;
    }
    const reason = notLive(object, revokedBy);
    if (reason) {
      yield skip(null, `${String(object.id)}: ${object.name}`, reason);
      continue;
    }
    yield {
      object: {
        id: object.id as string,
        kind,
        name: object.name.slice(0, 200),
        external_id: externalId(object),
        data: {
          description: typeof object.description === 'string' ? object.description.slice(0, 2_000) : undefined,
          aliases: toList(object.aliases),
          types: toList(object.malware_types ?? object.tool_types ?? object.threat_actor_types),
        },
      },
    };
  }
  for (const object of objects) {
    if (!isObject(object) || object.type !== 'indicator') continue;
    yield* indicatorEvents(object, byId, related, markings, revokedBy);
  }
}

/** The live object `id` names: itself, or what revoked it (a few hops at most), else undefined. */
function liveObject(id: string, byId: Map<string, Json>, revokedBy: Map<string, string>): Json | undefined {
  let current = id;
  for (let hop = 0; hop < 5; hop++) {
    const object = byId.get(current);
    const next = revokedBy.get(current);
    if (next !== undefined) {
      current = next;
      continue;
    }
    return object && notLive(object, revokedBy) === null ? object : undefined;
  }
  return undefined;
}

function* indicatorEvents(
  indicator: Json,
  byId: Map<string, Json>,
  related: Map<string, string[]>,
  markings: Map<string, Tlp>,
  revokedBy: Map<string, string>,
): Generator<ParseEvent> {
  const pattern = typeof indicator.pattern === 'string' ? indicator.pattern : '';
  const text = `${String(indicator.id)}: ${pattern}`;
  if (indicator.pattern_type !== undefined && indicator.pattern_type !== 'stix') {
    yield skip(null, text, `pattern type "${String(indicator.pattern_type).slice(0, 20)}" is not stix`);
    return;
  }
  const reason = notLive(indicator, revokedBy);
  if (reason) {
    yield skip(null, text, reason);
    return;
  }
  const parsed = parseStixPattern(pattern);
  if (!parsed.ok) {
    yield skip(null, text, parsed.reason);
    return;
  }
  if (parsed.values.length === 0) {
    yield skip(null, text, 'the pattern tests no IP, domain, URL or file hash');
    return;
  }
  const malware: string[] = [];
  const actors: string[] = [];
  const techniques: string[] = [];
  for (const target of related.get(indicator.id as string) ?? []) {
    const object = liveObject(target, byId, revokedBy);
    if (!object || typeof object.name !== 'string') continue;
    if (object.type === 'malware' || object.type === 'tool') malware.push(object.name);
    else if (object.type === 'threat-actor' || object.type === 'intrusion-set') actors.push(object.name);
    else if (object.type === 'attack-pattern') {
      const id = externalId(object);
      if (id && /^T\d{4}(?:\.\d{3})?$/.test(id)) techniques.push(id);
    }
  }
  const markingRefs = Array.isArray(indicator.object_marking_refs) ? indicator.object_marking_refs : [];
  const tlp = markingRefs.map((ref) => (typeof ref === 'string' ? markings.get(ref) : undefined)).find((t) => t !== undefined);
  const extras = {
    confidence: toConfidence(indicator.confidence),
    first_seen: toIsoTime(indicator.valid_from) ?? toIsoTime(indicator.created),
    last_seen: toIsoTime(indicator.modified) ?? toIsoTime(indicator.created) ?? toIsoTime(indicator.valid_from),
    valid_until: toIsoTime(indicator.valid_until),
    tags: toList([...toList(indicator.labels), ...toList(indicator.indicator_types)]),
    malware: [...new Set(malware)],
    actors: [...new Set(actors)],
    techniques: [...new Set(techniques)],
    tlp,
  };
  for (const value of parsed.values) {
    const made = makeItem(value.raw, extras);
    if (!('item' in made)) yield skip(null, `${text} → ${value.raw}`, made.reason);
    else if (!value.types.includes(made.item.type))
      yield skip(null, `${text} → ${value.raw}`, `the value is a ${made.item.type}, not what the pattern's object type says`);
    else yield made;
  }
}

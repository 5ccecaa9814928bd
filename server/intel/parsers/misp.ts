/**
 * MISP feeds: a `manifest.json` naming the events (`{ "<uuid>": { info, timestamp, … } }`) and
 * one `<uuid>.json` per event. The feed runner reads the manifest with `mispEventUrls` (only
 * events changed since its last run), fetches each event and parses it with `parseMispEvent`.
 *
 * From an event: attributes (also inside objects) of types ip-src/ip-dst (and |port),
 * domain, hostname, domain|ip, url, md5/sha1/sha256 and filename|<hash>, only with `to_ids`
 * (the others are context, skipped with that reason). Tags: `tlp:*` sets the TLP, galaxy tags
 * for ATT&CK patterns give technique ids, threat actors give actors, malware / tool /
 * ransomware / malpedia clusters give malware names, other tags stay tags. Event tags and
 * galaxies apply to every attribute, an attribute's own tags to it.
 */
import { makeItem, parseTlp, toIsoTime } from './item.ts';
import { readJson, TRUNCATED_REASON } from './json.ts';
import { skip, type ParsedItem, type ParseEvent, type ParserInput } from './types.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `manifest.json` of a MISP feed whose base URL is `feedUrl`. */
export function mispManifestUrl(feedUrl: string): string {
  return new URL('manifest.json', feedUrl.endsWith('/') ? feedUrl : `${feedUrl}/`).href;
}

export type MispEventRef = { uuid: string; url: string; timestamp: number | null };

/**
 * The event files a manifest lists, oldest first; with `since` (epoch seconds) only those
 * changed after it. Keys that are not UUIDs are ignored (they would become other paths).
 */
export function mispEventUrls(feedUrl: string, manifest: unknown, since?: number): MispEventRef[] {
  if (!isObject(manifest)) return [];
  const base = mispManifestUrl(feedUrl);
  const refs: MispEventRef[] = [];
  for (const [uuid, entry] of Object.entries(manifest)) {
    if (!UUID.test(uuid)) continue;
    const raw = isObject(entry) ? Number(entry.timestamp) : NaN;
    const timestamp = Number.isFinite(raw) ? raw : null;
    if (since !== undefined && timestamp !== null && timestamp <= since) continue;
    refs.push({ uuid, url: new URL(`${uuid.toLowerCase()}.json`, base).href, timestamp });
  }
  return refs.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
}

const HASH_TYPES = new Set(['md5', 'sha1', 'sha256']);
const SUPPORTED = new Set(['ip-src', 'ip-dst', 'domain', 'hostname', 'url', ...HASH_TYPES]);

/** The indicator part of an attribute value, by its MISP type; null if the type is not one. */
function indicatorValue(type: string, value: string): string | null {
  if (SUPPORTED.has(type)) return value;
  const [first, second] = type.split('|');
  const [left = '', right = ''] = value.split('|');
  if ((first === 'ip-src' || first === 'ip-dst') && second === 'port') return left;
  if (first === 'domain' && second === 'ip') return left;
  if (first === 'filename' && second !== undefined && HASH_TYPES.has(second)) return right;
  return null;
}

type Context = Pick<ParsedItem, 'tags' | 'malware' | 'actors' | 'techniques' | 'tlp'>;

const GALAXY_TAG = /^misp-galaxy:([a-z0-9-]+)="(.*)"$/i;

function contextOf(tags: unknown, inherited?: Context): Context {
  const out = {
    tags: [...(inherited?.tags ?? [])],
    malware: [...(inherited?.malware ?? [])],
    actors: [...(inherited?.actors ?? [])],
    techniques: [...(inherited?.techniques ?? [])],
    tlp: inherited?.tlp,
  };
  for (const tag of Array.isArray(tags) ? tags : []) {
    const name = isObject(tag) && typeof tag.name === 'string' ? tag.name.trim().slice(0, 200) : null;
    if (!name) continue;
    const tlp = /^tlp:/i.test(name) ? parseTlp(name) : undefined;
    const galaxy = GALAXY_TAG.exec(name);
    if (tlp) out.tlp = tlp;
    else if (galaxy?.[1] && galaxy[2] !== undefined) {
      const [kind, value] = [galaxy[1].toLowerCase(), galaxy[2]];
      const technique = /\b(T\d{4}(?:\.\d{3})?)\b/.exec(value)?.[1];
      if (kind.startsWith('mitre-') && technique) out.techniques.push(technique);
      else if (kind === 'threat-actor' || kind === 'mitre-intrusion-set') out.actors.push(value);
      else if (['malpedia', 'malware', 'tool', 'ransomware', 'banker', 'botnet', 'rat', 'stealer', 'mitre-malware', 'mitre-tool'].includes(kind))
        out.malware.push(value);
      else out.tags.push(name);
    } else out.tags.push(name);
  }
  return {
    tags: [...new Set(out.tags)],
    malware: [...new Set(out.malware)],
    actors: [...new Set(out.actors)],
    techniques: [...new Set(out.techniques)],
    tlp: out.tlp,
  };
}

/** Galaxy clusters attached to the event (as tags, the way MISP names them). */
function galaxyTags(galaxies: unknown): Json[] {
  const tags: Json[] = [];
  for (const galaxy of Array.isArray(galaxies) ? galaxies : []) {
    if (!isObject(galaxy) || !Array.isArray(galaxy.GalaxyCluster)) continue;
    for (const cluster of galaxy.GalaxyCluster) {
      if (isObject(cluster) && typeof cluster.tag_name === 'string') tags.push({ name: cluster.tag_name });
    }
  }
  return tags;
}

/** One MISP event file (`{ "Event": { … } }`). */
export async function* parseMispEvent(input: ParserInput): AsyncGenerator<ParseEvent> {
  const doc = yield* readJson(input);
  if (!doc) return;
  const event = isObject(doc.value) && isObject(doc.value.Event) ? doc.value.Event : null;
  if (!event) {
    yield skip(null, '', 'not a MISP event: expected { "Event": { … } }');
    return;
  }
  const tags = [...(Array.isArray(event.Tag) ? event.Tag : []), ...galaxyTags(event.Galaxy)];
  const eventContext = contextOf(tags);
  const attributes: unknown[] = [...(Array.isArray(event.Attribute) ? event.Attribute : [])];
  for (const object of Array.isArray(event.Object) ? event.Object : []) {
    if (isObject(object) && Array.isArray(object.Attribute)) attributes.push(...object.Attribute);
  }
  for (const attribute of attributes) yield attributeEvent(attribute, eventContext);
  if (doc.truncated) yield skip(null, '', TRUNCATED_REASON);
}

function attributeEvent(attribute: unknown, eventContext: Context): ParseEvent {
  if (!isObject(attribute) || typeof attribute.type !== 'string' || typeof attribute.value !== 'string') {
    return skip(null, JSON.stringify(attribute ?? null), 'attribute without type/value');
  }
  const text = `${attribute.type}: ${attribute.value}`;
  const value = indicatorValue(attribute.type, attribute.value);
  if (value === null) return skip(null, text, `unsupported attribute type "${attribute.type.slice(0, 40)}"`);
  if (attribute.to_ids !== true && attribute.to_ids !== '1' && attribute.to_ids !== 1) return skip(null, text, 'to_ids is false (context, not for detection)');
  const context = contextOf(attribute.Tag, eventContext);
  const seen = toIsoTime(Number(attribute.timestamp));
  const made = makeItem(value, {
    ...context,
    first_seen: toIsoTime(attribute.first_seen) ?? seen,
    last_seen: toIsoTime(attribute.last_seen) ?? seen,
  });
  return 'item' in made ? made : skip(null, text, made.reason);
}

/**
 * The threat-intel contract (zod + the decay formula): indicator types, feeds and their runs,
 * lookups, search, blocklists and the compact snapshot devices keep for offline lookups.
 *
 * Scoring (per indicator, at read time):
 *   sources: each sighting has a confidence c_i (0-100) from its feed (or the item itself);
 *   combined base = 100 × (1 − Π(1 − c_i/100))   (several independent sources raise confidence)
 *   age = now − last sighting (any source), so a new sighting restores the score;
 *   score = base × (1 − (age / lifetime)^(1/speed)), 0 once age ≥ lifetime;
 *   active = score ≥ the type's threshold: only active indicators are matched and blocked;
 *   inactive ones stay searchable.
 */
import { z } from 'zod';

export const INDICATOR_TYPES = ['ipv4', 'ipv6', 'cidr', 'domain', 'url', 'md5', 'sha1', 'sha256'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

export const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;

export const FEED_FORMATS = ['plain', 'csv', 'json', 'misp', 'stix', 'taxii'] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

/** A decay model per indicator type (admin-editable). */
export const decayModelSchema = z.object({
  type: z.enum(INDICATOR_TYPES),
  lifetime_days: z.number().positive().max(3_650),
  /** > 1 keeps the score high longer then drops fast; < 1 drops early. */
  speed: z.number().positive().max(10),
  /** Score below which the indicator is no longer matched or blocked (0-100). */
  threshold: z.number().min(0).max(100),
});
export type DecayModel = z.infer<typeof decayModelSchema>;

export const DEFAULT_DECAY_MODELS: Record<IndicatorType, Omit<DecayModel, 'type'>> = {
  ipv4: { lifetime_days: 30, speed: 0.5, threshold: 30 },
  ipv6: { lifetime_days: 30, speed: 0.5, threshold: 30 },
  cidr: { lifetime_days: 90, speed: 1, threshold: 30 },
  domain: { lifetime_days: 90, speed: 1, threshold: 30 },
  url: { lifetime_days: 60, speed: 1, threshold: 30 },
  md5: { lifetime_days: 730, speed: 2, threshold: 20 },
  sha1: { lifetime_days: 730, speed: 2, threshold: 20 },
  sha256: { lifetime_days: 730, speed: 2, threshold: 20 },
};

/** The decayed score of a base confidence `ageMs` after the last sighting. */
export function decayedScore(base: number, ageMs: number, model: Pick<DecayModel, 'lifetime_days' | 'speed'>): number {
  const lifetimeMs = model.lifetime_days * 86_400_000;
  const age = Math.max(0, ageMs);
  if (age >= lifetimeMs) return 0;
  return base * (1 - (age / lifetimeMs) ** (1 / model.speed));
}

const csvMapping = z
  .object({
    /** 0-based column of the value, or a header name. */
    value: z.union([z.int().min(0), z.string().min(1)]),
    /** Column holding the type (else detected from the value). */
    type: z.union([z.int().min(0), z.string().min(1)]).optional(),
    first_seen: z.union([z.int().min(0), z.string().min(1)]).optional(),
    last_seen: z.union([z.int().min(0), z.string().min(1)]).optional(),
    tags: z.union([z.int().min(0), z.string().min(1)]).optional(),
    malware: z.union([z.int().min(0), z.string().min(1)]).optional(),
    confidence: z.union([z.int().min(0), z.string().min(1)]).optional(),
  })
  .strict();

/** Parser options per format. */
export const feedOptionsSchema = z
  .object({
    /** csv */
    delimiter: z.string().length(1).optional(),
    /** csv: the first non-comment line is a header (also `# header` lines like abuse.ch's). */
    header: z.boolean().optional(),
    columns: csvMapping.optional(),
    /** json: which preset (otx pulses, cisa kev) or a JSONata expression giving [{value, type?, ...}]. */
    preset: z.enum(['otx', 'cisa_kev']).optional(),
    expression: z.string().max(4_000).optional(),
    /** taxii: the collection id (discovery/api root from the URL). */
    collection: z.string().max(200).optional(),
    /** taxii/misp auth: a named secret (server/playbooks connectors' named secrets). */
    auth_secret: z.string().max(64).optional(),
  })
  .strict();

export const feedBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    /** Pull URL; null for a push feed (POST /feeds/{id}/push with an API token). */
    url: z.url({ protocol: /^https?$/ }).nullable(),
    format: z.enum(FEED_FORMATS),
    /** Minutes between pulls (ignored for push feeds). */
    schedule_minutes: z.int().min(5).max(10_080).default(60),
    default_confidence: z.int().min(0).max(100).default(50),
    tlp: z.enum(TLP_LEVELS).default('amber'),
    /** Keep only these types (default all). */
    types: z.array(z.enum(INDICATOR_TYPES)).min(1).optional(),
    enabled: z.boolean().default(true),
    options: feedOptionsSchema.default({}),
  })
  .strict();
export type FeedBody = z.infer<typeof feedBody>;
export const patchFeedBody = feedBody.partial().strict();

export const feedRunSchema = z.object({
  id: z.uuid(),
  feed_id: z.uuid(),
  state: z.enum(['queued', 'running', 'succeeded', 'failed', 'not_modified']),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  /** Progress while running: indicators parsed so far, and bytes read of the total when known. */
  parsed: z.int(),
  /**
   * Related objects read (malware, tools, actors, attack patterns, CISA KEV vulnerabilities),
   * counted apart from indicators: a KEV run has objects and no indicators.
   */
  objects: z.int(),
  bytes_read: z.int(),
  bytes_total: z.int().nullable(),
  added: z.int(),
  updated: z.int(),
  expired: z.int(),
  skipped: z.int(),
  /** A few skipped lines/items with the reason, for the admin. */
  skipped_samples: z.array(z.object({ line: z.int().nullable(), text: z.string(), reason: z.string() })),
  /** Items kept whose TLP label was no known level: stored at the feed's TLP or the item's known one, whichever is stricter. */
  tlp_unrecognised: z.int().optional(),
  error: z.string().nullable(),
});
export type FeedRun = z.infer<typeof feedRunSchema>;

export const feedSchema = feedBody.extend({
  id: z.uuid(),
  created_at: z.string(),
  updated_at: z.string(),
  last_run: feedRunSchema.nullable(),
  indicator_count: z.int(),
});
export type Feed = z.infer<typeof feedSchema>;

const sightingSchema = z.object({
  feed_id: z.uuid().nullable(),
  feed_name: z.string(),
  first_seen: z.string(),
  last_seen: z.string(),
  confidence: z.number(),
});

export const indicatorSchema = z.object({
  id: z.int(),
  type: z.enum(INDICATOR_TYPES),
  value: z.string(),
  score: z.number(),
  active: z.boolean(),
  base_confidence: z.number(),
  first_seen: z.string(),
  last_seen: z.string(),
  tlp: z.enum(TLP_LEVELS),
  tags: z.array(z.string()),
  malware: z.array(z.string()),
  actors: z.array(z.string()),
  /** MITRE ATT&CK technique ids (T1059, T1566.001). */
  techniques: z.array(z.string()),
  sources: z.array(sightingSchema),
});
export type Indicator = z.infer<typeof indicatorSchema>;

/**
 * Why a listed indicator is never matched, looked up as a hit, put in a device's copy or exported:
 * `private_range` (a never-public address, shared/intel-values.ts) or `allowlist`.
 */
const IGNORED_REASONS = ['private_range', 'allowlist'] as const;
export type IgnoredReason = (typeof IGNORED_REASONS)[number];

/** GET /api/v1/indicators/{id}: the indicator, and why it is ignored (null when it counts). */
export const indicatorDetailSchema = indicatorSchema.extend({ ignored: z.enum(IGNORED_REASONS).nullable() });
export type IndicatorDetail = z.infer<typeof indicatorDetailSchema>;

/** GET /api/v1/indicators/lookup?value= ; POST body { values } (≤ 10,000). */
export const MAX_BULK_LOOKUP = 10_000;
export const lookupQuery = z.object({ value: z.string().trim().min(1).max(2_048) }).strict();
export const bulkLookupBody = z.object({ values: z.array(z.string().trim().min(1).max(2_048)).min(1).max(MAX_BULK_LOOKUP) }).strict();
export const lookupResult = z.object({
  value: z.string(),
  /** The detected type and canonical form; null type = not an indicator value. */
  type: z.enum(INDICATOR_TYPES).nullable(),
  canonical: z.string().nullable(),
  /** Matching indicators (an IP or a range matches itself and the CIDR ranges that contain it). */
  matches: z.array(indicatorSchema.omit({ sources: true }).extend({ source_names: z.array(z.string()) })),
});
export const lookupResponse = z.object({ items: z.array(lookupResult) });

export const searchQuery = z
  .object({
    q: z.string().trim().max(2_048).optional(),
    type: z.enum(INDICATOR_TYPES).optional(),
    feed_id: z.uuid().optional(),
    min_score: z.coerce.number().min(0).max(100).optional(),
    active: z.enum(['true', 'false']).optional(),
    tag: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
    /** Keyset paging: the `next_cursor` of the previous page (opaque; not with `offset`). */
    cursor: z
      .string()
      .regex(/^[1-9][0-9]{0,18}$/, 'a next_cursor value from the previous page')
      .optional(),
  })
  .strict();

/** GET /api/v1/blocklists/{name}.{txt|csv|stix.json}: name ∈ ip | domain | url | hash. */
export const BLOCKLIST_NAMES = ['ip', 'domain', 'url', 'hash'] as const;
export const blocklistQuery = z
  .object({
    min_confidence: z.coerce.number().min(0).max(100).default(50),
    types: z.string().optional(),
  })
  .strict();

/** GET /api/v1/indicators/snapshot: the compact copy devices keep (active, score ≥ min, capped). */
export const snapshotQuery = z
  .object({ min_score: z.coerce.number().min(0).max(100).default(70), limit: z.coerce.number().int().min(1).max(200_000).default(50_000) })
  .strict();
export const snapshotResponse = z.object({
  generated_at: z.string(),
  /** [type, canonical value, score rounded] tuples. */
  items: z.array(z.tuple([z.enum(INDICATOR_TYPES), z.string(), z.number()])),
});

/** An observable of an incident or alert that matched an active indicator. */
const intelMatchSchema = z.object({
  indicator_id: z.int(),
  type: z.enum(INDICATOR_TYPES),
  value: z.string(),
  observable: z.string(),
  score: z.number(),
  source_names: z.array(z.string()),
  alert_id: z.uuid().nullable(),
  matched_at: z.string(),
  /** 'arrival' (looked up when it came in) or 'retro' (found later when a feed added it). */
  how: z.enum(['arrival', 'retro']),
});
export const intelMatchesResponse = z.object({ items: z.array(intelMatchSchema) });

/** Admin: values never turned into block entries (own domains and ranges). */
export const allowlistBody = z.object({ values: z.array(z.string().trim().min(1).max(2_048)).max(10_000) }).strict();

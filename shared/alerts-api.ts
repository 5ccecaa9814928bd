/**
 * The alerts API contract (zod): the native alert shape `POST /api/v1/alerts` accepts (tool
 * payloads are turned into it by the server's adapters), the per-item ingestion result, the list
 * and detail responses, asset inventory, webhook field mappings and the dedup/correlation rules.
 *
 * Severity inputs: `impact`, `likelihood` and `confidence` are integers 1-5 (5 = worst / most
 * certain). `severity` (critical|high|medium|low|info) is a shorthand for impact when impact is
 * absent. Defaults: impact 3, likelihood 3, confidence 3.
 *
 * Response statuses: 200 when every item was stored or ignored (a tool's non-alert events), 207
 * when some failed (the good ones are stored, each bad one names its fields), 400 when some failed
 * and none was stored (error body, items in details), 413 above MAX_ALERTS_PER_BATCH.
 */
import { z } from 'zod';
import { CATEGORIES, isoDateTime, SEVERITIES } from './incident-schema.ts';

export const MAX_ALERTS_PER_BATCH = 1_000;
/** Cap on an alert's `context` (serialized JSON bytes). */
const MAX_CONTEXT_BYTES = 16_384;
export const MAX_OBSERVABLES_PER_KIND = 100;
/** Cap on one event as received (its serialized JSON), stored unchanged with the alert. */
export const MAX_RAW_EVENT_BYTES = 256 * 1024;

export const ALERT_SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
/** `severity` shorthand → impact. */
export const SEVERITY_IMPACT = { critical: 5, high: 4, medium: 3, low: 2, info: 1 } as const satisfies Record<AlertSeverity, number>;

const level = z.int().min(1).max(5);
const shortStr = (max: number): z.ZodString => z.string().trim().min(1).max(max);
const ip = z.union([z.ipv4(), z.ipv6()], { error: 'expected an IPv4 or IPv6 address' });
const list = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_OBSERVABLES_PER_KIND);

export const alertObservablesSchema = z
  .object({
    ips: list(ip),
    domains: list(shortStr(253)),
    urls: list(shortStr(2_048)),
    hashes: list(
      z.string().regex(/^(?:[a-fA-F0-9]{32}|[a-fA-F0-9]{40}|[a-fA-F0-9]{64}|[a-fA-F0-9]{128})$/, 'expected an MD5, SHA-1, SHA-256 or SHA-512 hex digest'),
    ),
    accounts: list(shortStr(200)),
    hosts: list(shortStr(253)),
  })
  .partial()
  .strict();
export const OBSERVABLE_LISTS = ['ips', 'domains', 'urls', 'hashes', 'accounts', 'hosts'] as const;

export const alertInputSchema = z
  .object({
    source: shortStr(100),
    type: shortStr(200),
    title: shortStr(300),
    /** The incident category, when the sender knows it; else inferred from type and title. */
    category: z.enum(CATEGORIES).optional(),
    description: z.string().max(20_000).optional(),
    severity: z.enum(ALERT_SEVERITIES).optional(),
    impact: level.optional(),
    likelihood: level.optional(),
    confidence: level.optional(),
    /** When the activity happened. */
    observed_at: isoDateTime.optional(),
    /** When the tool detected it (defaults to receipt). */
    detected_at: isoDateTime.optional(),
    observables: alertObservablesSchema.optional(),
    context: z
      .record(z.string(), z.unknown())
      .refine((v) => JSON.stringify(v).length <= MAX_CONTEXT_BYTES, `context must be at most ${MAX_CONTEXT_BYTES} bytes of JSON`)
      .optional(),
    /** The tool's own id: dedup uses it instead of the content fingerprint. */
    external_id: shortStr(200).optional(),
  })
  .strict();
export type AlertInput = z.infer<typeof alertInputSchema>;

export const ingestQuery = z.object({
  /** native (default), suricata, wazuh, ecs, or webhook:<mapping-id>. */
  format: z.string().max(120).optional(),
});

/** `ignored`: not an alert (a Suricata dns, flow, stats… line), skipped without being an error. */
export const ITEM_STATUSES = ['created', 'deduplicated', 'correlated', 'failed', 'ignored'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export interface IngestItemResult {
  index: number;
  status: ItemStatus;
  alert_id: string | null;
  incident_id: string | null;
  score: number | null;
  /** `field: message`, one per bad field; for an ignored item, why (`ignored: event_type dns`). */
  errors: string[];
}
export interface IngestResponse {
  items: IngestItemResult[];
  counts: Record<ItemStatus, number>;
}

/** Stored alert: opened an incident, joined one, or stored without one (score below the rule's minimum). */
export const ALERT_STATUSES = ['created', 'correlated', 'unlinked'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export const listAlertsQuery = z
  .object({
    source: z.string().max(100).optional(),
    status: z.enum(ALERT_STATUSES).optional(),
    incident_id: z.uuid().optional(),
    since: isoDateTime.optional(),
    /** Page cursor: the `next_before` of the previous page. */
    before: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();
export type ListAlertsQuery = z.infer<typeof listAlertsQuery>;

export interface AlertSummary {
  id: string;
  source: string;
  type: string;
  title: string;
  format: string;
  status: AlertStatus;
  score: number;
  severity: (typeof SEVERITIES)[number];
  count: number;
  incident_id: string | null;
  fingerprint: string;
  external_id: string | null;
  observed_at: string | null;
  detected_at: string;
  received_at: string;
  last_seen: string;
}
export interface AlertDetail extends AlertSummary {
  raw: unknown;
  normalized: AlertInput;
  risk: { score: number; severity: string; factors: { factor: string; points: number; detail: string }[]; model: string };
}

// ---- assets ---------------------------------------------------------------------------------
export const ASSET_KINDS = ['host', 'account', 'service'] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];
export const assetInputSchema = z
  .object({
    kind: z.enum(ASSET_KINDS),
    name: shortStr(253).transform((s) => s.toLowerCase()),
    criticality: z.int().min(1).max(5).default(3),
    privileged: z.boolean().default(false),
    owner: z.string().trim().max(200).nullable().default(null),
    tags: z.array(shortStr(100)).max(50).default([]),
  })
  .strict();
export type AssetInput = z.infer<typeof assetInputSchema>;
export const assetPatchSchema = z
  .object({
    criticality: z.int().min(1).max(5),
    privileged: z.boolean(),
    owner: z.string().trim().max(200).nullable(),
    tags: z.array(shortStr(100)).max(50),
  })
  .partial()
  .strict();
export interface Asset {
  id: string;
  kind: AssetKind;
  name: string;
  criticality: number;
  privileged: boolean;
  owner: string | null;
  tags: string[];
  updated_at: string;
}
export const listAssetsQuery = z
  .object({
    kind: z.enum(ASSET_KINDS).optional(),
    q: z.string().max(200).optional(),
    offset: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(1_000).default(200),
  })
  .strict();
export interface AssetImportResult {
  imported: number;
  errors: { line: number; message: string }[];
}

// ---- webhook mappings -----------------------------------------------------------------------
/** A path into the payload: a JSON pointer (`/alert/name`) or dotted path (`alert.name`). */
const pathSchema = z.string().min(1).max(300);
const pathOrPaths = z.union([pathSchema, z.array(pathSchema).min(1).max(20)]);
const MAPPABLE_FIELDS = [
  'source',
  'type',
  'title',
  'description',
  'severity',
  'impact',
  'likelihood',
  'confidence',
  'observed_at',
  'detected_at',
  'external_id',
  'observables.ips',
  'observables.domains',
  'observables.urls',
  'observables.hashes',
  'observables.accounts',
  'observables.hosts',
] as const;
export const alertMappingInputSchema = z
  .object({
    name: shortStr(100),
    /** Native field → path(s) in the payload (lists collect every path's values). */
    fields: z.partialRecord(z.enum(MAPPABLE_FIELDS), pathOrPaths),
    /** Constant values for native fields the payload does not carry (e.g. source). */
    defaults: z
      .object({ source: shortStr(100), type: shortStr(200), severity: z.enum(ALERT_SEVERITIES) })
      .partial()
      .strict()
      .default({}),
    /** Payload value → native severity, e.g. { "P1": "critical" }. */
    severity_map: z.record(z.string().max(100), z.enum(ALERT_SEVERITIES)).default({}),
    /** Path of an array in the payload holding several events (e.g. `alerts`); omitted = one event. */
    items_path: pathSchema.optional(),
  })
  .strict();
export type AlertMappingInput = z.infer<typeof alertMappingInputSchema>;
export interface AlertMapping extends AlertMappingInput {
  id: string;
  updated_at: string;
}

// ---- rules ----------------------------------------------------------------------------------
const CORRELATION_KINDS = ['ip', 'domain', 'url', 'hash', 'account', 'host'] as const;
export const alertRulesSchema = z
  .object({
    /** Same fingerprint within this window → counted on the stored alert. */
    dedup_window_seconds: z
      .int()
      .min(0)
      .max(30 * 86_400),
    /** Shares an observable with an open incident seen within this window → joins it. */
    correlation_window_seconds: z
      .int()
      .min(0)
      .max(90 * 86_400),
    /** Observable kinds that correlate (assets are hosts and accounts). */
    correlate_on: z.array(z.enum(CORRELATION_KINDS)).max(CORRELATION_KINDS.length),
    /** Below this score an uncorrelated alert is stored without opening an incident. */
    min_score_for_incident: z.int().min(0).max(100),
  })
  .strict();
export type AlertRules = z.infer<typeof alertRulesSchema>;
export const DEFAULT_ALERT_RULES: AlertRules = {
  dedup_window_seconds: 3_600,
  correlation_window_seconds: 86_400,
  correlate_on: [...CORRELATION_KINDS],
  min_score_for_incident: 0,
};

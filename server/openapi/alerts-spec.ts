/**
 * The alert and asset routes (server/alerts, server/assets) in the OpenAPI registry. Their
 * requests use the shared zod schemas of shared/alerts-api.ts; the response shapes there are
 * TypeScript interfaces, mirrored here as zod so the document describes them too.
 */
import { z } from 'zod';
import {
  ALERT_STATUSES,
  ASSET_KINDS,
  ITEM_STATUSES,
  alertInputSchema,
  alertMappingInputSchema,
  alertRulesSchema,
  assetInputSchema,
  assetPatchSchema,
  ingestQuery,
  listAlertsQuery,
  listAssetsQuery,
} from '../../shared/alerts-api.ts';
import { SEVERITIES, riskSchema } from '../../shared/incident-schema.ts';
import type { Named, RouteSpec } from './registry.ts';

const n = (name: string, schema: z.ZodType): Named => ({ name, schema });
const idParam = z.object({ id: z.uuid() });

const ingestResponse = z.object({
  items: z.array(
    z.object({
      index: z.number().int(),
      status: z.enum(ITEM_STATUSES).describe('`ignored`: not an alert (e.g. a Suricata dns or flow event), skipped without error'),
      alert_id: z.string().nullable(),
      incident_id: z.string().nullable(),
      score: z.number().nullable(),
      errors: z.array(z.string()).describe('`field: message`, one per bad field; for an ignored item its reason (`ignored: event_type dns`)'),
    }),
  ),
  counts: z.record(z.enum(ITEM_STATUSES), z.number().int()),
});

const alertSummary = z.object({
  id: z.string(),
  source: z.string(),
  type: z.string(),
  title: z.string(),
  format: z.string(),
  status: z.enum(ALERT_STATUSES),
  score: z.number(),
  severity: z.enum(SEVERITIES),
  count: z.number().int(),
  incident_id: z.string().nullable(),
  fingerprint: z.string(),
  external_id: z.string().nullable(),
  observed_at: z.string().nullable(),
  detected_at: z.string(),
  received_at: z.string(),
  last_seen: z.string(),
});
const alertDetail = alertSummary.extend({ raw: z.unknown(), normalized: alertInputSchema, risk: riskSchema });

const asset = z.object({
  id: z.string(),
  kind: z.enum(ASSET_KINDS),
  name: z.string(),
  criticality: z.number().int(),
  privileged: z.boolean(),
  owner: z.string().nullable(),
  tags: z.array(z.string()),
  updated_at: z.string(),
});
const Asset = n('Asset', asset);

export const ALERT_ROUTES: readonly RouteSpec[] = [
  {
    method: 'post',
    path: '/alerts',
    tag: 'alerts',
    summary: 'Ingest one alert or a batch (native JSON, Suricata EVE, Wazuh, Elastic ECS, or a webhook mapping)',
    action: 'incident:write',
    query: ingestQuery,
    body: n('AlertInput', z.union([alertInputSchema, z.array(alertInputSchema)])),
    responses: {
      200: { description: 'Every item stored or ignored (non-alert events of a tool format)', schema: n('IngestResponse', ingestResponse) },
      207: { description: 'Some items failed (listed per item); the good ones are stored', schema: n('IngestResponse', ingestResponse) },
      400: { description: 'Some items failed and none was stored (items in error.details)' },
      413: { description: 'Body or batch too large' },
    },
  },
  {
    method: 'get',
    path: '/alerts',
    tag: 'alerts',
    summary: 'Recent alerts (filters, before-cursor paging)',
    action: 'incident:read',
    query: listAlertsQuery,
    responses: { 200: { description: 'A page', schema: n('AlertList', z.object({ items: z.array(alertSummary), next_before: z.string().nullable() })) } },
  },
  {
    method: 'get',
    path: '/alerts/{id}',
    tag: 'alerts',
    summary: 'One alert: as received, normalized, and its risk score',
    action: 'incident:read',
    params: idParam,
    responses: { 200: { description: 'The alert', schema: n('AlertDetail', alertDetail) }, 404: { description: 'No such alert' } },
  },
  {
    method: 'get',
    path: '/alert-mappings',
    tag: 'alerts',
    summary: 'Webhook field mappings',
    action: 'settings:manage',
    responses: { 200: { description: 'Mappings' } },
  },
  {
    method: 'get',
    path: '/alert-mappings/{id}',
    tag: 'alerts',
    summary: 'One webhook field mapping',
    action: 'settings:manage',
    params: idParam,
    responses: { 200: { description: 'The mapping' }, 404: { description: 'No such mapping' } },
  },
  {
    method: 'post',
    path: '/alert-mappings',
    tag: 'alerts',
    summary: 'Create a webhook field mapping',
    action: 'settings:manage',
    body: n('AlertMappingInput', alertMappingInputSchema),
    responses: { 201: { description: 'The mapping' } },
  },
  {
    method: 'get',
    path: '/alert-rules',
    tag: 'alerts',
    summary: 'Scoring, dedup and correlation rules',
    action: 'settings:manage',
    responses: { 200: { description: 'The rules', schema: n('AlertRules', alertRulesSchema) } },
  },
  {
    method: 'put',
    path: '/alert-rules',
    tag: 'alerts',
    summary: 'Replace the rules',
    action: 'settings:manage',
    body: n('AlertRules', alertRulesSchema),
    responses: { 200: { description: 'The rules', schema: n('AlertRules', alertRulesSchema) } },
  },
  {
    method: 'get',
    path: '/assets',
    tag: 'assets',
    summary: 'The asset inventory',
    action: 'incident:read',
    query: listAssetsQuery,
    responses: { 200: { description: 'Assets' } },
  },
  {
    method: 'get',
    path: '/assets/{id}',
    tag: 'assets',
    summary: 'One asset',
    action: 'incident:read',
    params: idParam,
    responses: { 200: { description: 'The asset', schema: Asset }, 404: { description: 'No such asset' } },
  },
  {
    method: 'post',
    path: '/assets',
    tag: 'assets',
    summary: 'Add an asset (criticality 1-5)',
    action: 'settings:manage',
    body: n('AssetInput', assetInputSchema),
    responses: { 201: { description: 'The asset', schema: Asset } },
  },
  {
    method: 'patch',
    path: '/assets/{id}',
    tag: 'assets',
    summary: "Change an asset's criticality, privilege, owner or tags",
    action: 'settings:manage',
    params: idParam,
    body: n('AssetPatch', assetPatchSchema),
    responses: { 200: { description: 'The asset', schema: Asset }, 404: { description: 'No such asset' } },
  },
  {
    method: 'delete',
    path: '/assets/{id}',
    tag: 'assets',
    summary: 'Remove an asset',
    action: 'settings:manage',
    params: idParam,
    responses: { 204: { description: 'Removed' } },
  },
  {
    method: 'post',
    path: '/assets/import',
    tag: 'assets',
    summary: 'Import assets from CSV (kind,name,criticality,privileged,owner,tags) or a JSON array',
    action: 'settings:manage',
    responses: {
      200: {
        description: 'Imported, with per-line errors',
        schema: n('AssetImportResult', z.object({ imported: z.number().int(), errors: z.array(z.object({ line: z.number().int(), message: z.string() })) })),
      },
      413: { description: 'CSV too large' },
    },
  },
];

/**
 * The threat-intel use routes (server/intel/intel-routes.ts) in the OpenAPI registry: lookups,
 * search, detail, the offline snapshot, an incident's matches and the blocklist exports.
 */
import { z } from 'zod';
import {
  blocklistQuery,
  bulkLookupBody,
  indicatorDetailSchema,
  indicatorSchema,
  intelMatchesResponse,
  lookupQuery,
  lookupResponse,
  searchQuery,
  snapshotQuery,
  snapshotResponse,
} from '../../shared/intel-api.ts';
import type { Named, RouteSpec } from '../openapi/registry.ts';

const n = (name: string, schema: z.ZodType): Named => ({ name, schema });
const Lookup = n('IndicatorLookup', lookupResponse);
const searchResponse = z.object({
  items: z.array(indicatorSchema),
  /** Exact number of matches up to SEARCH_COUNT_CAP; null above it (then total_capped is true). */
  total: z.int().nullable(),
  total_capped: z.boolean(),
  has_more: z.boolean(),
  /** Pass as `cursor` for the next page; null on the last one. */
  next_cursor: z.string().nullable(),
  limit: z.int(),
  offset: z.int(),
});

export const INTEL_USE_ROUTES: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/indicators/lookup',
    tag: 'intel',
    action: 'incident:read',
    query: lookupQuery,
    summary: 'Look one value up (type detected; defanged input accepted): its matches with score, active flag and sources',
    description:
      'An IP or a CIDR range also matches the wider CIDR ranges containing it; a URL also matches its host as a domain. Inactive matches (below their threshold) are listed with active: false.',
    responses: { 200: { description: 'One item', schema: Lookup } },
  },
  {
    method: 'post',
    path: '/indicators/lookup',
    tag: 'intel',
    action: 'incident:read',
    body: n('BulkLookup', bulkLookupBody),
    summary: 'Look up to 10,000 values at once (one item per value, in order)',
    responses: { 200: { description: 'One item per value', schema: Lookup } },
  },
  {
    method: 'get',
    path: '/indicators',
    tag: 'intel',
    action: 'incident:read',
    query: searchQuery,
    summary: 'Search indicators: q (exact canonical value or contains), type, feed_id, min_score, active, tag; newest stored first, paged by cursor',
    description:
      "Ordered by id, newest first (a stable key, so pages never shift while feeds update rows). Page with `cursor` = the previous page's `next_cursor` (`offset` still works but costs what it skips). `total` is exact up to 10,000 matches; above that it is null and `total_capped` is true.",
    responses: { 200: { description: 'A page of indicators with their sources', schema: n('IndicatorPage', searchResponse) } },
  },
  {
    method: 'get',
    path: '/indicators/snapshot',
    tag: 'intel',
    action: 'incident:read',
    query: snapshotQuery,
    summary: 'The compact copy devices keep for offline lookups: active indicators at or above min_score, highest first, capped',
    responses: { 200: { description: '[type, value, score] tuples', schema: n('IndicatorSnapshot', snapshotResponse) } },
  },
  {
    method: 'get',
    path: '/indicators/{id}',
    tag: 'intel',
    action: 'incident:read',
    params: z.object({ id: z.int().min(1) }),
    summary: 'One indicator with its sources (first and last sighting and confidence per source)',
    description:
      '`ignored` says why a listed indicator is never matched, looked up as a hit, put in the snapshot or exported: `private_range` (private, loopback, link-local, CGNAT, multicast, broadcast, reserved or documentation addresses) or `allowlist`; null when it counts.',
    responses: { 200: { description: 'The indicator', schema: n('IndicatorDetail', indicatorDetailSchema) }, 404: { description: 'No such indicator' } },
  },
  {
    method: 'get',
    path: '/incidents/{id}/intel-matches',
    tag: 'intel',
    action: 'incident:read',
    params: z.object({ id: z.uuid() }),
    summary: "The incident's observables that matched indicators, on arrival or retrospectively",
    responses: {
      200: { description: 'Matches, highest score first', schema: n('IntelMatches', intelMatchesResponse) },
      404: { description: 'No such incident' },
    },
  },
  {
    method: 'get',
    path: '/blocklists/{file}',
    tag: 'intel',
    action: 'incident:read',
    query: blocklistQuery,
    params: z.object({ file: z.string().describe('ip|domain|url|hash followed by .txt, .csv or .stix.json, e.g. ip.txt') }),
    summary: 'Blocklist export for firewalls and proxies (API token or session): plain text, CSV or a STIX 2.1 bundle',
    description:
      'Active indicators with score ≥ min_confidence; `types` narrows the list (comma-separated, e.g. ipv4,cidr). Private, reserved and documentation ranges and allow-listed values (IPs in allow-listed ranges, subdomains of allow-listed domains) are never listed. x-entry-count gives the number of entries.',
    responses: { 200: { description: 'text/plain (one value a line), text/csv, or application/stix+json' }, 404: { description: 'No such list or format' } },
  },
];

/**
 * The feeds API and intel admin settings (server/intel/feeds.ts) in the OpenAPI registry, with
 * the shared schemas of shared/intel-api.ts. (Lookup, search and blocklist routes: intel-use-spec.ts.)
 */
import { z } from 'zod';
import { allowlistBody, decayModelSchema, feedBody, feedRunSchema, feedSchema, patchFeedBody } from '../../shared/intel-api.ts';
import type { Named, RouteSpec } from '../openapi/registry.ts';
import { decayModelsBody, feedIdParam, runsQuery } from './feeds.ts';

const n = (name: string, schema: z.ZodType): Named => ({ name, schema });
const Feed = n('Feed', feedSchema);
const FeedRun = n('FeedRun', feedRunSchema);
const DecayModels = n('DecayModels', z.object({ items: z.array(decayModelSchema) }));
const Allowlist = n('Allowlist', z.object({ values: z.array(z.string()) }));
const notFound = { 404: { description: 'No such feed' } };

export const INTEL_FEED_ROUTES: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/feeds',
    tag: 'intel',
    summary: 'Threat-intel feeds with their last run and live indicator count',
    action: 'feed:manage',
    responses: { 200: { description: 'Feeds', schema: n('FeedList', z.object({ items: z.array(feedSchema) })) } },
  },
  {
    method: 'post',
    path: '/feeds',
    tag: 'intel',
    summary: 'Add a feed (url null = a push feed)',
    action: 'feed:manage',
    body: n('FeedBody', feedBody),
    responses: { 201: { description: 'The feed', schema: Feed }, 409: { description: 'A feed with this name exists' } },
  },
  {
    method: 'get',
    path: '/feeds/{id}',
    tag: 'intel',
    summary: 'One feed',
    action: 'feed:manage',
    params: feedIdParam,
    responses: { 200: { description: 'The feed', schema: Feed }, ...notFound },
  },
  {
    method: 'patch',
    path: '/feeds/{id}',
    tag: 'intel',
    summary: 'Change a feed (a new URL, format or options forgets the conditional-request validators)',
    action: 'feed:manage',
    params: feedIdParam,
    body: n('PatchFeed', patchFeedBody),
    responses: { 200: { description: 'The feed', schema: Feed }, ...notFound, 409: { description: 'A feed with this name exists' } },
  },
  {
    method: 'delete',
    path: '/feeds/{id}',
    tag: 'intel',
    summary: 'Remove a feed and its sightings (indicators keep their other sources)',
    action: 'feed:manage',
    params: feedIdParam,
    responses: { 204: { description: 'Removed' }, ...notFound },
  },
  {
    method: 'post',
    path: '/feeds/{id}/run',
    tag: 'intel',
    summary: 'Pull the feed now',
    action: 'feed:manage',
    params: feedIdParam,
    responses: { 202: { description: 'The run, started', schema: FeedRun }, ...notFound, 409: { description: 'A run is in progress, or this is a push feed' } },
  },
  {
    method: 'post',
    path: '/feeds/{id}/push',
    tag: 'intel',
    action: 'feed:manage',
    params: feedIdParam,
    summary:
      "Push the feed's content (text/plain, application/json or application/octet-stream; parsed with the feed's format; an increment that expires nothing)",
    body: n('FeedContent', z.string().describe('The feed content in its format')),
    responses: {
      200: { description: 'The finished run with its counts', schema: FeedRun },
      ...notFound,
      409: { description: 'A run is in progress' },
      413: { description: 'Content over INTEL_PUSH_MAX_BYTES' },
      422: { description: 'The content could not be ingested (details.run)' },
    },
  },
  {
    method: 'get',
    path: '/feeds/{id}/runs',
    tag: 'intel',
    summary: 'Run history, newest first, with counts, errors and skipped samples',
    action: 'feed:manage',
    params: feedIdParam,
    query: runsQuery,
    responses: { 200: { description: 'Runs', schema: n('FeedRunList', z.object({ items: z.array(feedRunSchema) })) }, ...notFound },
  },
  {
    method: 'get',
    path: '/intel/decay-models',
    tag: 'intel',
    summary: 'The decay model of every indicator type (defaults where none is stored)',
    action: 'settings:manage',
    responses: { 200: { description: 'Models', schema: DecayModels } },
  },
  {
    method: 'put',
    path: '/intel/decay-models',
    tag: 'intel',
    summary: 'Set decay models (types not sent keep theirs)',
    action: 'settings:manage',
    body: n('PutDecayModels', decayModelsBody),
    responses: { 200: { description: 'Every model now', schema: DecayModels } },
  },
  {
    method: 'get',
    path: '/intel/allowlist',
    tag: 'intel',
    summary: 'Own domains and ranges: never block entries',
    action: 'settings:manage',
    responses: { 200: { description: 'Normalized values', schema: Allowlist } },
  },
  {
    method: 'put',
    path: '/intel/allowlist',
    tag: 'intel',
    summary: 'Replace the allow-list (domains, IPs, CIDR ranges; normalized)',
    action: 'settings:manage',
    body: n('PutAllowlist', allowlistBody),
    responses: { 200: { description: 'Normalized values', schema: Allowlist } },
  },
];

/**
 * Every /api/v1 route with the shared zod schemas it takes and answers with: the input of the
 * OpenAPI document (registry.ts). A test checks each route here is served and each served route
 * is here (so the document cannot drift from the app).
 */
import { z } from 'zod';
import {
  incidentDetailResponse,
  incidentIdParam,
  listIncidentsQuery,
  listIncidentsResponse,
  syncBatchRequest,
  syncBatchResponse,
  syncChangesQuery,
  syncChangesResponse,
  timelineQuery,
  timelineResponse,
  incidentSummarySchema,
} from '../../shared/api.ts';
import {
  acceptInviteRequest,
  auditListResponse,
  auditQuery,
  auditVerifyResponse,
  authConfigResponse,
  createTokenRequest,
  createTokenResponse,
  createUserRequest,
  createUserResponse,
  guestGrantSchema,
  inviteGuestRequest,
  inviteGuestResponse,
  loginRequest,
  meResponse,
  patchUserRequest,
  reissueInviteResponse,
  tokenSchema,
  userDirectoryResponse,
  userSchema,
} from '../../shared/auth-api.ts';
import {
  correctMilestoneRequest,
  createEventRequest,
  createEventResponse,
  createIncidentRequest,
  customFieldsResponse,
  metricsQuery,
  metricsResponse,
  patchIncidentRequest,
  priorityQueueQuery,
  priorityQueueResponse,
  templatesResponse,
} from '../../shared/incidents-api.ts';
import { categoryParam } from '../../shared/templates.ts';
import { putFieldsRequest } from '../incidents/template-routes.ts';
import type { Named, RouteSpec } from './registry.ts';

const n = (name: string, schema: z.ZodType): Named => ({ name, schema });
const ok = (description: string, schema?: Named) => ({ 200: { description, ...(schema ? { schema } : {}) } });
const created = (description: string, schema?: Named) => ({ 201: { description, ...(schema ? { schema } : {}) } });
const notFound = { 404: { description: 'No such incident (checked after permission)' } };

const idParam = z.object({ id: z.uuid() });
const relatedParams = z.object({ id: z.uuid(), other: z.uuid() });
const guestParams = z.object({ id: z.uuid(), userId: z.uuid() });

const Incident = n('Incident', incidentSummarySchema);
const IncidentDetail = n('IncidentDetail', incidentDetailResponse);
const items = (name: string, schema: z.ZodType): Named => n(name, z.object({ items: z.array(schema) }));

export const API_ROUTES: readonly RouteSpec[] = [
  // Identity
  { method: 'get', path: '/auth/config', tag: 'auth', summary: 'Login options (single sign-on)', auth: false, responses: ok('Login options', n('AuthConfig', authConfigResponse)) },
  { method: 'post', path: '/auth/login', tag: 'auth', summary: 'Log in with email and password (sets the session cookie)', auth: false, body: n('LoginRequest', loginRequest), responses: ok('Logged in', n('Me', meResponse)) },
  { method: 'post', path: '/auth/accept-invite', tag: 'auth', summary: 'Accept an invitation and set a password', auth: false, body: n('AcceptInviteRequest', acceptInviteRequest), responses: ok('Logged in', n('Me', meResponse)) },
  { method: 'get', path: '/auth/me', tag: 'auth', summary: 'The current identity', responses: ok('The identity', n('Me', meResponse)) },
  { method: 'post', path: '/auth/logout', tag: 'auth', summary: 'Log out (revokes the session)', responses: { 204: { description: 'Logged out' } } },
  { method: 'get', path: '/users', tag: 'users', summary: 'List users', action: 'user:manage', responses: ok('Users', items('UserList', userSchema)) },
  { method: 'get', path: '/users/directory', tag: 'users', summary: 'Active team members (ids, names, roles) for the assignee picker', action: 'incident:read', responses: ok('The directory', n('UserDirectory', userDirectoryResponse)) },
  {
    method: 'post', path: '/users/{id}/invite', tag: 'users', summary: 'Re-issue an invitation link (shown once); the unused links before it are revoked', action: 'user:manage', params: idParam,
    responses: { ...created('The new link', n('ReissueInviteResponse', reissueInviteResponse)), 404: { description: 'No such user' }, 409: { description: 'The user has already accepted, or is disabled' } },
  },
  { method: 'post', path: '/users', tag: 'users', summary: 'Invite a user', action: 'user:manage', body: n('CreateUserRequest', createUserRequest), responses: created('Invited', n('CreateUserResponse', createUserResponse)) },
  { method: 'patch', path: '/users/{id}', tag: 'users', summary: 'Change role, name or disable', action: 'user:manage', params: idParam, body: n('PatchUserRequest', patchUserRequest), responses: ok('The user', n('User', userSchema)) },
  { method: 'post', path: '/users/{id}/revoke-sessions', tag: 'users', summary: 'Log a user out everywhere', action: 'user:manage', params: idParam, responses: ok('Sessions revoked', n('Revoked', z.object({ revoked: z.number().int() }))) },
  { method: 'get', path: '/tokens', tag: 'tokens', summary: 'List API tokens', action: 'token:manage', responses: ok('Tokens', items('TokenList', tokenSchema)) },
  { method: 'post', path: '/tokens', tag: 'tokens', summary: 'Create an API token (the secret is shown once)', action: 'token:manage', body: n('CreateTokenRequest', createTokenRequest), responses: created('Created', n('CreateTokenResponse', createTokenResponse)) },
  { method: 'delete', path: '/tokens/{id}', tag: 'tokens', summary: 'Revoke an API token', action: 'token:manage', params: idParam, responses: { 204: { description: 'Revoked' } } },
  { method: 'get', path: '/incidents/{id}/guests', tag: 'guests', summary: "An incident's guests", action: 'guest:invite', params: idParam, responses: ok('Guests', items('GuestList', guestGrantSchema)) },
  { method: 'post', path: '/incidents/{id}/guests', tag: 'guests', summary: 'Invite a guest to one incident', action: 'guest:invite', params: idParam, body: n('InviteGuestRequest', inviteGuestRequest), responses: created('Invited', n('InviteGuestResponse', inviteGuestResponse)) },
  { method: 'delete', path: '/incidents/{id}/guests/{userId}', tag: 'guests', summary: "Remove a guest's access", action: 'guest:invite', params: guestParams, responses: { 204: { description: 'Removed' } } },
  { method: 'get', path: '/audit-logs', tag: 'audit', summary: 'The audit log, newest first, filtered', action: 'audit:read', query: auditQuery, responses: ok('A page of entries', n('AuditList', auditListResponse)) },
  { method: 'get', path: '/audit-logs/verify', tag: 'audit', summary: 'Recompute the hash chain', action: 'audit:read', responses: ok('The verdict', n('AuditVerify', auditVerifyResponse)) },
  // Sync
  { method: 'post', path: '/sync/batch', tag: 'sync', summary: 'Background document exchange (Yjs updates, base64)', action: 'incident:read', body: n('SyncBatchRequest', syncBatchRequest), responses: ok('What each device document lacks', n('SyncBatchResponse', syncBatchResponse)) },
  { method: 'get', path: '/sync/changes', tag: 'sync', summary: 'Documents changed after a cursor', action: 'incident:read', query: syncChangesQuery, responses: ok('Changes', n('SyncChanges', syncChangesResponse)) },
  // Incidents
  { method: 'get', path: '/incidents', tag: 'incidents', summary: 'List incidents (filters, text search, sort, pages, counts per status)', action: 'incident:read', query: listIncidentsQuery, responses: ok('A page of incidents', n('IncidentList', listIncidentsResponse)) },
  { method: 'post', path: '/incidents', tag: 'incidents', summary: 'Create an incident (optionally from a template)', action: 'incident:write', body: n('CreateIncidentRequest', createIncidentRequest), responses: { ...created('The incident', IncidentDetail), 422: { description: 'A custom field or regulation is refused (the field is named)' } } },
  { method: 'get', path: '/incidents/priority-queue', tag: 'incidents', summary: 'Open incidents by priority, with the explanation', action: 'incident:read', query: priorityQueueQuery, responses: ok('The queue', n('PriorityQueue', priorityQueueResponse)) },
  { method: 'get', path: '/incidents/{id}', tag: 'incidents', summary: 'One incident with its tasks, SLA and breach clocks', action: 'incident:read', params: incidentIdParam, responses: { ...ok('The incident', IncidentDetail), ...notFound } },
  {
    method: 'patch', path: '/incidents/{id}', tag: 'incidents', summary: 'Change an incident (written into its document: every device sees it live)', action: 'incident:write', params: incidentIdParam,
    body: n('PatchIncidentRequest', patchIncidentRequest),
    responses: { ...ok('The incident', Incident), ...notFound, 400: { description: 'Closing without `resolution` or `closing_summary` (details.field names the missing one)' }, 409: { description: 'Workflow transition refused; details.allowed lists the allowed statuses' }, 422: { description: 'A custom field, regulation or related incident is refused (the field is named)' } },
  },
  { method: 'get', path: '/incidents/{id}/timeline', tag: 'incidents', summary: "The incident's timeline", action: 'incident:read', params: incidentIdParam, query: timelineQuery, responses: { ...ok('Entries in timeline order', n('Timeline', timelineResponse)), ...notFound } },
  { method: 'post', path: '/incidents/{id}/events', tag: 'incidents', summary: 'Add a timeline entry (note, automation, alert, evidence, chat, system)', action: 'incident:write', params: incidentIdParam, body: n('CreateEventRequest', createEventRequest), responses: { ...created('The entry id', n('CreateEventResponse', createEventResponse)), ...notFound } },
  { method: 'post', path: '/incidents/{id}/related/{other}', tag: 'incidents', summary: 'Link two incidents (both documents)', action: 'incident:write', params: relatedParams, responses: { ...ok('The incident', IncidentDetail), ...notFound, 422: { description: 'The other incident does not exist or is the same' } } },
  { method: 'delete', path: '/incidents/{id}/related/{other}', tag: 'incidents', summary: 'Unlink two incidents (both documents)', action: 'incident:write', params: relatedParams, responses: { ...ok('The incident', IncidentDetail), ...notFound } },
  {
    method: 'post', path: '/incidents/{id}/milestones', tag: 'incidents', summary: 'Correct a workflow-stamped time (contained, resolved) with a reason (leads); recorded in the timeline, used by the metrics', action: 'incident:correct', params: incidentIdParam,
    body: n('CorrectMilestoneRequest', correctMilestoneRequest),
    responses: { ...ok('The incident', Incident), ...notFound, 409: { description: 'The time is not stamped yet' } },
  },
  { method: 'post', path: '/incidents/{id}/prioritize', tag: 'incidents', summary: 'Recompute the priority now', action: 'incident:write', params: incidentIdParam, responses: { ...ok('The incident', IncidentDetail), ...notFound } },
  { method: 'get', path: '/metrics', tag: 'incidents', summary: 'MTTD, MTTC (time to contain), MTTR (time to resolve) and counts over a range; mttr_containment is a deprecated alias of mttc', action: 'incident:read', query: metricsQuery, responses: ok('Metrics', n('Metrics', metricsResponse)) },
  { method: 'get', path: '/templates', tag: 'templates', summary: 'Incident templates and custom field definitions per category', action: 'incident:read', responses: ok('Templates', n('Templates', templatesResponse)) },
  { method: 'get', path: '/templates/{category}/fields', tag: 'templates', summary: "A category's custom field definitions", action: 'incident:read', params: categoryParam, responses: ok('Definitions', n('CustomFields', customFieldsResponse)) },
  { method: 'put', path: '/templates/{category}/fields', tag: 'templates', summary: "Set a category's custom field definitions", action: 'template:manage', params: categoryParam, body: n('PutCustomFieldsRequest', putFieldsRequest), responses: ok('Definitions', n('CustomFields', customFieldsResponse)) },
  { method: 'get', path: '/openapi.json', tag: 'meta', summary: 'This document', responses: ok('OpenAPI 3.1') },
];

/**
 * The playbook routes (server/playbooks/routes.ts and hooks.ts) in the OpenAPI registry, with
 * the shared zod schemas of shared/playbooks-api.ts.
 */
import { z } from 'zod';
import {
  approvalSchema,
  approvalsQuery,
  approvalsResponse,
  cancelRunBody,
  decideBody,
  executeWorkflowBody,
  HOOK_SIGNATURE_HEADER,
  HOOK_TIMESTAMP_HEADER,
  runListResponse,
  runSchema,
  webhookSecretResponse,
  workflowsQuery,
  workflowsResponse,
} from '../../shared/playbooks-api.ts';
import type { Named, RouteSpec } from '../openapi/registry.ts';

const n = (name: string, schema: z.ZodType): Named => ({ name, schema });
const idParam = z.object({ id: z.uuid() });
const playbookParam = z.object({ id: z.string().describe('playbook id') });
const Run = n('PlaybookRun', runSchema);
const Approval = n('PlaybookApproval', approvalSchema);

export const PLAYBOOK_ROUTES: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/workflows',
    tag: 'playbooks',
    summary: 'Loaded playbooks (and whether each matches `incident_id`); refused files for admins',
    action: 'incident:read',
    query: workflowsQuery,
    responses: {
      200: { description: 'Playbooks', schema: n('WorkflowsResponse', workflowsResponse) },
      404: {
        description:
          'No such incident; `details.pending: true` when its document has reached the server but is not indexed yet (ask again once the incident has its key)',
      },
    },
  },
  {
    method: 'post',
    path: '/incidents/{id}/execute-workflow',
    tag: 'playbooks',
    action: 'playbook:run',
    params: idParam,
    body: n('ExecuteWorkflow', executeWorkflowBody),
    summary: 'Start a run of a playbook on the incident (optionally a dry run)',
    description: 'An `Idempotency-Key` header (or `idempotency_key`) makes a retry answer the same run with 200 instead of starting another.',
    responses: {
      202: { description: 'Started', schema: Run },
      200: { description: 'Already started with this idempotency key', schema: Run },
      404: { description: 'No such incident or loaded playbook' },
      409: { description: 'The key was used for another incident' },
      422: { description: 'The playbook cannot be started by hand, or does not apply to the incident (the message names the failing match criterion)' },
    },
  },
  {
    method: 'get',
    path: '/runs/{id}',
    tag: 'playbooks',
    summary: 'A run with the state of every step',
    action: 'incident:read',
    params: idParam,
    responses: { 200: { description: 'The run', schema: Run }, 404: { description: 'No such run' } },
  },
  {
    method: 'get',
    path: '/incidents/{id}/runs',
    tag: 'playbooks',
    summary: "The incident's runs, newest first",
    action: 'incident:read',
    params: idParam,
    responses: { 200: { description: 'Runs', schema: n('RunList', runListResponse) } },
  },
  {
    method: 'post',
    path: '/runs/{id}/cancel',
    tag: 'playbooks',
    summary: 'Cancel a run: its unfinished steps and pending approvals',
    action: 'playbook:run',
    params: idParam,
    body: n('CancelRun', cancelRunBody),
    responses: {
      200: { description: 'The cancelled run', schema: Run },
      404: { description: 'No such run' },
      409: { description: 'The run has already finished' },
    },
  },
  {
    method: 'get',
    path: '/approvals',
    tag: 'playbooks',
    summary: 'Approvals by state (default pending)',
    action: 'playbook:approve',
    query: approvalsQuery,
    responses: { 200: { description: 'Approvals', schema: n('ApprovalList', approvalsResponse) } },
  },
  {
    method: 'post',
    path: '/approvals/{id}/decide',
    tag: 'playbooks',
    action: 'playbook:approve',
    params: idParam,
    body: n('Decide', decideBody),
    summary: 'Approve or reject a gated step, with a reason',
    description:
      "The approver needs one of the gate's roles and cannot be the run's starter; `min` distinct approvers are needed to approve, one rejection rejects.",
    responses: {
      200: { description: 'The approval after the decision', schema: Approval },
      403: { description: "Not one of the gate's roles, or the run's starter" },
      404: { description: 'No such approval' },
      409: { description: 'Already decided (by this person or in full)' },
    },
  },
  {
    method: 'post',
    path: '/workflows/{id}/webhook-secret',
    tag: 'playbooks',
    summary: 'Set a new webhook secret for the playbook (shown once, never again)',
    action: 'settings:manage',
    params: playbookParam,
    responses: { 200: { description: 'The new secret', schema: n('WebhookSecret', webhookSecretResponse) }, 404: { description: 'No such loaded playbook' } },
  },
  {
    method: 'post',
    path: '/hooks/{id}',
    tag: 'playbooks',
    auth: false,
    params: playbookParam,
    summary: 'Inbound webhook: start a run of the playbook',
    description: `No session: headers \`${HOOK_TIMESTAMP_HEADER}\` (unix seconds, within ±5 minutes) and \`${HOOK_SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">\` with the playbook's webhook secret. The JSON body is the run's trigger.body; \`incident_id\` targets an incident.`,
    body: n('HookBody', z.object({ incident_id: z.uuid().optional() }).catchall(z.unknown())),
    responses: {
      202: { description: 'Run started', schema: Run },
      401: { description: 'Bad signature or timestamp outside the window' },
      404: { description: 'The playbook takes no webhook' },
      409: { description: 'Replay of a delivery already received' },
      422: { description: 'The playbook does not apply to the incident named in the body' },
      429: { description: 'The playbook accepted PLAYBOOK_WEBHOOK_MAX_PER_MINUTE deliveries in the last minute (Retry-After says when to try again)' },
    },
  },
];

/**
 * The playbooks API contract (zod): loaded and refused playbooks, runs and their steps,
 * approvals, connectors and named secrets. Server routes validate with these; the client and the
 * OpenAPI document use the same schemas. Secrets are write-only: no response ever carries one.
 */
import { z } from 'zod';
import { freeFormObject } from './json-depth.ts';
import { playbookSchema } from './playbook.ts';

/**
 * A run's states. Finished ones: `succeeded` (every action it meant to take was taken, or
 * skipped by a guard, or rejected by a person), `completed_with_failures` (it reached its end,
 * but a step failed or timed out and an on_error handler took over: see `failures`), `failed`
 * (a step failed with no handler), `cancelled`.
 */
const RUN_STATES = ['queued', 'running', 'waiting_approval', 'succeeded', 'completed_with_failures', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];
export const FINISHED_RUN_STATES: readonly RunState[] = ['succeeded', 'completed_with_failures', 'failed', 'cancelled'];

const STEP_STATES = [
  /** Its `needs` have not finished yet. */
  'pending',
  /** Enqueued, waiting for a worker (or for its per-target lock, or a retry's backoff). */
  'queued',
  'waiting_approval',
  'running',
  'succeeded',
  'failed',
  /** Its guard was false, or a step it needs did not succeed. */
  'skipped',
  'timed_out',
  /** Its approval was rejected (or timed out with on_timeout: reject). */
  'rejected',
  'cancelled',
] as const;
export type StepState = (typeof STEP_STATES)[number];
export const FINISHED_STEP_STATES: readonly StepState[] = ['succeeded', 'failed', 'skipped', 'timed_out', 'rejected', 'cancelled'];

const uuid = z.uuid();
const iso = z.string();

/** One line of a refused playbook. */
const playbookProblemSchema = z.object({
  file: z.string(),
  /** 1-based line in the file, or null when the problem is the whole file. */
  line: z.int().nullable(),
  /** Where in the document (e.g. `steps[2].needs[0]`), or null. */
  path: z.string().nullable(),
  reason: z.string(),
});
export type PlaybookProblem = z.infer<typeof playbookProblemSchema>;

/**
 * Why a step cannot act as things stand: `connector_not_configured` (no configuration, or a
 * secret field it needs is not set). Shown on the approval request and on the run before
 * anyone decides, so nobody approves an action that cannot happen.
 */
const stepWarningSchema = z.object({
  step_id: z.string(),
  code: z.enum(['connector_not_configured']),
  connector: z.string(),
  message: z.string(),
});
export type StepWarning = z.infer<typeof stepWarningSchema>;

export const workflowSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  version: z.string(),
  file: z.string(),
  triggers: playbookSchema.shape.triggers,
  match: playbookSchema.shape.match,
  steps: z.array(
    z.object({
      id: z.string(),
      name: z.string().nullable(),
      action: z.string(),
      needs: z.array(z.string()),
      /** Has an approval gate (which may still not apply to a given incident). */
      gated: z.boolean(),
      /** Why the step cannot act as things stand (its connector is not configured), or null. */
      warning: stepWarningSchema.nullable().default(null),
    }),
  ),
  /** Whether it matches the incident given as `?incident_id=` (null without one). */
  matches: z.boolean().nullable(),
  /** A webhook secret is set (the secret itself is never returned). */
  webhook_secret_set: z.boolean(),
});
export type WorkflowSummary = z.infer<typeof workflowSummarySchema>;

/** GET /api/v1/workflows?incident_id= */
export const workflowsQuery = z.object({ incident_id: uuid.optional() }).strict();
export const workflowsResponse = z.object({
  items: z.array(workflowSummarySchema),
  /** Playbook files that failed to load, with every problem (admins only; empty for others). */
  refused: z.array(z.object({ file: z.string(), problems: z.array(playbookProblemSchema) })),
});
export type WorkflowsResponse = z.infer<typeof workflowsResponse>;

/** POST /api/v1/incidents/{id}/execute-workflow. The idempotency key may also come as the `Idempotency-Key` header. */
export const executeWorkflowBody = z
  .object({
    playbook_id: z.string().min(1).max(64),
    dry_run: z.boolean().default(false),
    idempotency_key: z.string().min(8).max(200).optional(),
  })
  .strict();

const approvalStateSchema = z.enum(['pending', 'approved', 'rejected', 'expired', 'cancelled']);
export type ApprovalState = z.infer<typeof approvalStateSchema>;

/** A step that failed or timed out, with its reason, and the on_error step that took over (or null). */
const runFailureSchema = z.object({
  step_id: z.string(),
  name: z.string().nullable(),
  action: z.string(),
  state: z.enum(['failed', 'timed_out']),
  code: z.string(),
  message: z.string(),
  handled_by: z.string().nullable(),
});
export type RunFailure = z.infer<typeof runFailureSchema>;

export const approvalSchema = z.object({
  id: uuid,
  run_id: uuid,
  step_id: z.string(),
  incident_id: uuid.nullable(),
  playbook_id: z.string(),
  playbook_name: z.string(),
  message: z.string(),
  /** What will be done: the gated step's name, its action and what the action does. */
  step_name: z.string().nullable().default(null),
  action: z.string().default(''),
  action_description: z.string().default(''),
  /** The connector the action needs, or null. */
  connector: z.string().nullable().default(null),
  /** Why approving cannot make it happen now (e.g. its connector is not configured); empty when it can. */
  warnings: z.array(stepWarningSchema).default([]),
  state: approvalStateSchema,
  roles: z.array(z.string()),
  min_approvers: z.int(),
  requested_by: z.string(),
  requested_at: iso,
  expires_at: iso,
  on_timeout: z.enum(['reject', 'approve', 'fail']),
  decisions: z.array(z.object({ by: z.string(), decision: z.enum(['approve', 'reject']), reason: z.string(), at: iso })),
  decided_at: iso.nullable(),
  /**
   * Why the caller may not decide this gate (separation of duties), or null: `own_run` they
   * started the run; `own_incident` they created the incident whose event started it.
   */
  caller_excluded: z.enum(['own_run', 'own_incident']).nullable(),
});
export type Approval = z.infer<typeof approvalSchema>;

const stepRunSchema = z.object({
  step_id: z.string(),
  name: z.string().nullable(),
  action: z.string(),
  state: z.enum(STEP_STATES),
  attempt: z.int(),
  /** for_each: items done / total (null for a plain step). */
  items_done: z.int().nullable(),
  items_total: z.int().nullable(),
  input: z.unknown().nullable(),
  output: z.unknown().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  started_at: iso.nullable(),
  finished_at: iso.nullable(),
  approval_id: uuid.nullable(),
});
export type StepRun = z.infer<typeof stepRunSchema>;

const coalescedTriggerSchema = z.object({ event: z.string(), incident_id: z.string().optional(), alert_id: z.string().nullable().optional(), at: z.string() });
export type CoalescedTrigger = z.infer<typeof coalescedTriggerSchema>;

export const runSchema = z.object({
  id: uuid,
  playbook_id: z.string(),
  playbook_name: z.string(),
  playbook_version: z.string(),
  incident_id: uuid.nullable(),
  state: z.enum(RUN_STATES),
  dry_run: z.boolean(),
  trigger: z.enum(['manual', 'event', 'webhook']),
  started_by: z.string(),
  created_at: iso,
  finished_at: iso.nullable(),
  /** Failed and completed_with_failures: which steps failed and why, in one line. */
  error: z.string().nullable(),
  /** Every step that failed or timed out, with its reason and the handler that took over. */
  failures: z.array(runFailureSchema).default([]),
  /** Steps waiting for approval that cannot act if approved (their connector is not configured). */
  warnings: z.array(stepWarningSchema).default([]),
  /** How many triggering events this event run stands for (its own included; 0 for manual and webhook runs; defaults keep runs cached before it readable). */
  coalesced: z.number().int().default(0),
  /** Those events, first the one that started it: `{ event, incident_id, alert_id?, at }`. */
  coalesced_triggers: z.array(coalescedTriggerSchema).default([]),
  steps: z.array(stepRunSchema),
});
export type Run = z.infer<typeof runSchema>;

/** GET /api/v1/incidents/{id}/runs */
export const runListResponse = z.object({ items: z.array(runSchema) });

/** POST /api/v1/runs/{id}/cancel */
export const cancelRunBody = z.object({ reason: z.string().trim().max(1_000).default('') }).strict();

/** GET /api/v1/approvals?status= */
export const approvalsQuery = z
  .object({ status: approvalStateSchema.default('pending'), limit: z.coerce.number().int().min(1).max(500).default(100) })
  .strict();
export const approvalsResponse = z.object({ items: z.array(approvalSchema) });

/** POST /api/v1/approvals/{id}/decide */
export const decideBody = z
  .object({
    decision: z.enum(['approve', 'reject']),
    /** Why: required, recorded in the audit log and the timeline. */
    reason: z.string().trim().min(1, 'say why').max(2_000),
  })
  .strict();
export type DecideBody = z.infer<typeof decideBody>;

/**
 * POST /api/v1/hooks/{playbook id}: headers `X-Sentpilot-Timestamp` (unix seconds) and
 * `X-Sentpilot-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the playbook's
 * webhook secret>`. Refused: a bad signature (401), a timestamp outside ±5 minutes (401), the
 * same signature twice (409). The body is JSON: `incident_id` targets an incident; the whole body
 * is the run's `trigger.body`.
 */
export const HOOK_TIMESTAMP_HEADER = 'x-sentpilot-timestamp';
export const HOOK_SIGNATURE_HEADER = 'x-sentpilot-signature';
export const HOOK_WINDOW_SECONDS = 300;
export const hookBody = z.object({ incident_id: uuid.optional() }).passthrough();

/** POST /api/v1/workflows/{id}/webhook-secret (admin): a new secret, shown once. */
export const webhookSecretResponse = z.object({ secret: z.string() });

/** A connector an admin configures (firewall, identity provider, EDR, enrichment services). */
export const connectorSchema = z.object({
  name: z.string(),
  description: z.string(),
  configured: z.boolean(),
  /** Non-secret settings as stored. */
  endpoint: z.string().nullable(),
  settings: z.record(z.string(), z.unknown()),
  /** Names of the secret fields that are set (values never leave the server). */
  secrets_set: z.array(z.string()),
  /** Secret fields it needs. */
  secret_fields: z.array(z.string()),
  updated_at: iso.nullable(),
});
export type Connector = z.infer<typeof connectorSchema>;
export const connectorsResponse = z.object({ items: z.array(connectorSchema) });

/** PUT /api/v1/connectors/{name} (admin). Secrets omitted keep their stored value. */
export const putConnectorBody = z
  .object({
    endpoint: z.url({ protocol: /^https?$/ }).nullable(),
    settings: freeFormObject().default({}),
    secrets: z.record(z.string(), z.string().min(1).max(8_192)).default({}),
  })
  .strict();
export type PutConnectorBody = z.infer<typeof putConnectorBody>;

/** Named secrets for `http.request` auth (admin). PUT /api/v1/secrets/{name} */
export const SECRET_NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const putSecretBody = z.object({ value: z.string().min(1).max(8_192) }).strict();
export const secretsResponse = z.object({ items: z.array(z.object({ name: z.string(), updated_at: iso, updated_by: z.string() })) });

/**
 * The server's playbooks API as the client calls it (shared/playbooks-api.ts is the contract):
 * loaded and refused playbooks, starting a run (with its idempotency key, so the outbox can
 * replay it safely), runs and their steps, cancelling, approvals and their decisions, webhook
 * secrets and connectors. Every answer is parsed with the shared schemas; a 401 calls
 * `onUnauthenticated` besides being returned. Failures are values (see http-json.ts).
 */
import { z } from 'zod';
import {
  approvalsResponse,
  connectorSchema,
  connectorsResponse,
  runListResponse,
  runSchema,
  webhookSecretResponse,
  workflowsResponse,
  type ApprovalState,
  type DecideBody,
  type PutConnectorBody,
  type Run,
} from '../../shared/playbooks-api.ts';
import type { Result } from '../../shared/result.ts';
import { isUnauthenticated, requestJson, type ApiFailure, type FetchFn } from './http-json.ts';

/** A run as answered by execute-workflow, cancel and GET /runs/{id}: the run, or `{ run }`. */
const runAnswer: z.ZodType<Run> = z.union([runSchema, z.object({ run: runSchema }).transform((v) => v.run)]);
const connectorAnswer = z.union([connectorSchema, z.object({ connector: connectorSchema }).transform((v) => v.connector)]);

export interface ExecuteRequest {
  playbookId: string;
  dryRun: boolean;
  /** Generated once per request and kept with it: a replay answers the same run. */
  idempotencyKey: string;
}

export function createPlaybooksApi(deps: { fetch: FetchFn; onUnauthenticated(): void; timeoutMs?: number }) {
  const timeoutMs = deps.timeoutMs ?? 20_000;
  async function call<T>(
    method: string,
    url: string,
    schema: z.ZodType<T>,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Result<T, ApiFailure>> {
    const init: RequestInit =
      body === undefined ? { method, headers } : { method, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const res = await requestJson(deps.fetch, url, { ...init, cache: 'no-store' }, schema, timeoutMs);
    if (!res.ok && isUnauthenticated(res.error)) deps.onUnauthenticated();
    return res;
  }
  const enc = encodeURIComponent;
  return {
    /** Loaded playbooks (with `matches` for the incident given) and, for admins, the refused files. */
    workflows: (incidentId?: string) => call('GET', incidentId ? `/api/v1/workflows?incident_id=${enc(incidentId)}` : '/api/v1/workflows', workflowsResponse),
    execute: (incidentId: string, req: ExecuteRequest) =>
      call(
        'POST',
        `/api/v1/incidents/${enc(incidentId)}/execute-workflow`,
        runAnswer,
        { playbook_id: req.playbookId, dry_run: req.dryRun },
        { 'Idempotency-Key': req.idempotencyKey },
      ),
    run: (runId: string) => call('GET', `/api/v1/runs/${enc(runId)}`, runAnswer),
    incidentRuns: (incidentId: string) =>
      call(
        'GET',
        `/api/v1/incidents/${enc(incidentId)}/runs`,
        runListResponse.transform((v) => v.items),
      ),
    cancelRun: (runId: string, reason = '') =>
      call(
        'POST',
        `/api/v1/runs/${enc(runId)}/cancel`,
        z.unknown().transform(() => undefined),
        { reason },
      ),
    approvals: (status: ApprovalState = 'pending') =>
      call(
        'GET',
        `/api/v1/approvals?status=${enc(status)}`,
        approvalsResponse.transform((v) => v.items),
      ),
    decide: (approvalId: string, body: DecideBody) =>
      call(
        'POST',
        `/api/v1/approvals/${enc(approvalId)}/decide`,
        z.unknown().transform(() => undefined),
        body,
      ),
    /** A new webhook secret for a playbook (admin); shown once. */
    newWebhookSecret: (playbookId: string) =>
      call(
        'POST',
        `/api/v1/workflows/${enc(playbookId)}/webhook-secret`,
        webhookSecretResponse.transform((v) => v.secret),
        {},
      ),
    connectors: () =>
      call(
        'GET',
        '/api/v1/connectors',
        connectorsResponse.transform((v) => v.items),
      ),
    putConnector: (name: string, body: PutConnectorBody) =>
      call('PUT', `/api/v1/connectors/${enc(name)}`, z.union([connectorAnswer, z.unknown().transform(() => null)]), body),
  };
}

export type PlaybooksApi = ReturnType<typeof createPlaybooksApi>;

/**
 * The playbook format: what one YAML file in `playbooks/` holds, as a zod schema. The server's
 * loader (server/playbooks/loader.ts) parses the YAML, validates it with this schema, then checks
 * what a schema cannot (duplicate step ids, unknown actions, missing or cyclic `needs`, `on_error`
 * targets, expressions that do not compile) and reports each problem with file, line and reason.
 *
 * Expressions are JSONata (https://jsonata.org, the maintained `jsonata` package; never eval):
 * - a guard (`if`, `approval.required_if`, `match.when`) is a whole expression, true to pass;
 * - an input string may hold templates `{{ expr }}`: a string that is exactly one template takes
 *   the expression's value (any JSON type), otherwise each template is replaced by its text;
 * - `for_each.items` and `concurrency.key` are whole expressions.
 * They are evaluated over the run's context (ExpressionContext below), nothing else.
 *
 * Durations are strings like `500ms`, `30s`, `5m`, `2h`, `1d`.
 */
import { z } from 'zod';
import { CATEGORIES, OBSERVABLE_KINDS, SEVERITIES } from './incident-schema.ts';
import { ROLES } from './permissions.ts';

const DURATION_RE = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a duration string (`30s`), or null when it is not one. */
export function durationMs(s: string): number | null {
  const m = DURATION_RE.exec(s);
  if (!m) return null;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const duration = z.string().regex(DURATION_RE, 'expected a duration like 500ms, 30s, 5m, 2h or 1d');
const slug = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'expected lower-case letters, digits, - and _ (starting with a letter)');
/** A JSONata expression (compiled by the loader). */
const expr = z.string().trim().min(1).max(4_000);

const PLAYBOOK_EVENTS = ['incident.created', 'alert.correlated', 'incident.status_changed'] as const;
export type PlaybookEvent = (typeof PLAYBOOK_EVENTS)[number];

const APPROVAL_TIMEOUT_OUTCOMES = ['reject', 'approve', 'fail'] as const;

const approvalSchema = z
  .object({
    /** Guard: the gate applies only when true (default: always). */
    required_if: expr.optional(),
    /** Roles that may approve (default lead and admin). Never the user who started the run. */
    approvers: z
      .object({
        roles: z.array(z.enum(ROLES)).min(1).default(['lead', 'admin']),
        /** Distinct approvers needed. */
        min: z.int().min(1).max(10).default(1),
      })
      .strict()
      .default({ roles: ['lead', 'admin'], min: 1 }),
    /** Shown to approvers; may hold {{ }} templates. */
    message: z.string().min(1).max(2_000),
    timeout: duration.default('4h'),
    /** What happens when nobody decides in time. */
    on_timeout: z.enum(APPROVAL_TIMEOUT_OUTCOMES).default('reject'),
  })
  .strict();

const retrySchema = z
  .object({
    /** Further attempts after the first (0-10). */
    count: z.int().min(0).max(10),
    /** Wait before the first retry; doubled (× factor) each time, capped at max. */
    backoff: duration.default('1s'),
    factor: z.number().min(1).max(10).default(2),
    max: duration.default('5m'),
    /** ActionError codes worth retrying (default: every retryable error). */
    on: z.array(z.string().min(1).max(64)).optional(),
  })
  .strict();

const stepSchema = z
  .object({
    id: slug,
    name: z.string().min(1).max(200).optional(),
    /** A registered action (server/playbooks/actions): `incident.set_status`, `http.request`, `edr.isolate_host`, ... */
    action: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'expected an action name like incident.add_entry'),
    /** The action's inputs; strings may hold {{ }} templates. Checked against the action's own schema at run time. */
    with: z.record(z.string(), z.unknown()).default({}),
    /** Steps that must finish (succeeded or skipped) first; steps with no path between them run in parallel. */
    needs: z.array(slug).default([]),
    /** Guard: the step runs only when true, else it is skipped. */
    if: expr.optional(),
    /** Run the action once per item (available as `item` and `index`), at most `concurrency` at once. */
    for_each: z
      .object({ items: expr, concurrency: z.int().min(1).max(50).default(4) })
      .strict()
      .optional(),
    /** Per-target lock: no two steps (of any run) with the same action and key value run at once. */
    concurrency: z.object({ key: expr }).strict().optional(),
    retry: retrySchema.optional(),
    /** Longest one attempt may run (default 5m). */
    timeout: duration.default('5m'),
    /**
     * Step to go to when this one fails (after its retries); the run continues there instead of
     * failing. That target is a handler: it runs only when a step fails into it (never at run
     * start, skipped otherwise) and has no `needs` of its own; steps may need it.
     */
    on_error: slug.optional(),
    approval: approvalSchema.optional(),
  })
  .strict();
export type StepSpec = z.infer<typeof stepSchema>;

export const playbookSchema = z
  .object({
    id: slug,
    name: z.string().min(1).max(200),
    description: z.string().max(4_000).default(''),
    version: z.union([z.string().min(1).max(32), z.number()]).transform(String),
    /** Which incidents (or alerts) it applies to; every given criterion must hold. */
    match: z
      .object({
        categories: z.array(z.enum(CATEGORIES)).optional(),
        /** Severity at least this (S1 is the most severe). */
        severity_at_least: z.enum(SEVERITIES).optional(),
        /** At least one observable of one of these kinds. */
        observable_kinds: z.array(z.enum(OBSERVABLE_KINDS)).optional(),
        /** Every one of these tags. */
        tags: z.array(z.string().min(1).max(64)).optional(),
        /** Any further guard. */
        when: expr.optional(),
      })
      .strict()
      .default({}),
    /** How runs start: by a person (manual), on events, by an inbound webhook. */
    triggers: z
      .object({
        manual: z.boolean().default(true),
        on: z.array(z.enum(PLAYBOOK_EVENTS)).default([]),
        /** Accept POST /api/v1/hooks/{id} signed with the playbook's webhook secret. */
        webhook: z.boolean().default(false),
      })
      .strict()
      .default({ manual: true, on: [], webhook: false }),
    steps: z.array(stepSchema).min(1).max(100),
  })
  .strict();
export type Playbook = z.infer<typeof playbookSchema>;

/**
 * What expressions see. `incident` is the API shape (snake_case, as GET /incidents/{id});
 * `alert` the normalized alert that triggered the run, if any; `trigger` the event or webhook
 * body; `steps.<id>` each finished step's status and output (for_each: output is the list of
 * per-item outputs); `item`/`index` inside for_each; `run` the run itself.
 */
export interface ExpressionContext {
  incident: Record<string, unknown> | null;
  alert: Record<string, unknown> | null;
  trigger: { kind: 'manual' | 'event' | 'webhook'; event?: PlaybookEvent; body?: unknown };
  steps: Record<string, { status: string; output: unknown }>;
  item?: unknown;
  index?: number;
  run: { id: string; playbook_id: string; dry_run: boolean; started_by: string };
}

/**
 * The action contract between the playbook engine (server/playbooks/engine) and the actions
 * (server/playbooks/actions). An action is a named, typed operation: its inputs are checked with
 * its zod schema before it runs, it gets a context with the run's identity, an idempotency key,
 * an abort signal for its timeout and the server services it may use, and it returns JSON output
 * or throws an ActionError.
 *
 * At-least-once: the engine may run an attempt again after a crash. `ctx.idempotencyKey` is
 * stable for (run, step, item) across attempts; an action with an outside effect passes it on
 * (an `Idempotency-Key` header) and records its effect with `ctx.effects.once`, so a repeated
 * attempt returns the recorded output instead of acting twice.
 *
 * Dry run: `ctx.dryRun` is true; an action with an outside effect must not perform it and
 * returns what it would have done (`{ dry_run: true, would: ... }`). Actions that only read
 * (intel lookup, enrichment GETs) may still read.
 */
import type { z } from 'zod';
import type { Sql } from '../../db/connect.ts';
import type { Logger } from '../../logger.ts';
import type { DocumentManager } from '../../sync/document-types.ts';
import type { AuditLog } from '../../audit/audit-log.ts';
import type { SlaPolicy } from '../../../shared/sla.ts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * Error codes the engine and retry rules know. `retryable` decides whether `retry` applies when
 * the step's `retry.on` does not list codes.
 */
export const ACTION_ERROR_CODES = [
  /** The connector or secret it needs is not configured (never retried). */
  'not_configured',
  /** Inputs failed the action's schema (never retried). */
  'invalid_input',
  /** The outside system answered with an unexpected HTTP status (retryable for 429 and 5xx). */
  'http_status',
  /** Network failure, connection refused, DNS (retryable). */
  'network',
  /** The attempt ran past the step's timeout (retryable). */
  'timeout',
  /** A script exited non-zero (not retryable unless listed in retry.on). */
  'script_failed',
  /** Anything else the action decides. */
  'failed',
] as const;
export type ActionErrorCode = (typeof ACTION_ERROR_CODES)[number];

export class ActionError extends Error {
  constructor(
    readonly code: ActionErrorCode,
    message: string,
    readonly retryable: boolean = code === 'network' || code === 'timeout',
    /** Extra facts for the run's record (never secrets). */
    readonly details?: Record<string, Json>,
  ) {
    super(message);
    this.name = 'ActionError';
  }
}

/** Decrypted connector configuration (server/playbooks/secrets). */
export interface ConnectorConfig {
  endpoint: string | null;
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
}

export interface ActionServices {
  sql: Sql;
  docs: DocumentManager;
  audit: AuditLog;
  logger: Logger;
  policy: SlaPolicy;
  /** The connector's decrypted config, or null when an admin has not configured it. */
  connector(name: string): Promise<ConnectorConfig | null>;
  /** A named secret's value (for http.request auth), or null. */
  secret(name: string): Promise<string | null>;
  /** Folder of runnable scripts (`SCRIPTS_DIR`, default `<repo>/scripts-repo`). */
  scriptsDir: string;
  /** Outgoing mail (SMTP_URL); null when not configured. */
  smtp: { url: string; from: string } | null;
  /** fetch, replaceable in tests. */
  fetch: typeof fetch;
  /** The threat-intel store (issue 6); null until it exists, and intel.lookup says so. */
  intel: IntelLookup | null;
}

/** What intel.lookup needs of the threat-intel store. */
interface IntelLookup {
  /** The store's matches for each value (values without a match may be omitted). */
  lookup(values: string[]): Promise<Json>;
}

export interface ActionContext {
  runId: string;
  stepId: string;
  /** for_each item index, or null. */
  index: number | null;
  /** 1 for the first attempt. */
  attempt: number;
  /** Stable for (run, step, item) across attempts. */
  idempotencyKey: string;
  dryRun: boolean;
  /** The incident the run is about (null for a webhook run without one). */
  incidentId: string | null;
  /** Who the run acts for (timeline author, audit actor name): `playbook <id> (run <short id>)`. */
  actorName: string;
  /** Aborted when the step's timeout passes or the run is cancelled. */
  signal: AbortSignal;
  services: ActionServices;
  /** Effects recorded once per idempotency key (table playbook_effects). */
  effects: {
    /** Run `fn` unless an effect for (idempotencyKey, name) is recorded; record its result; return it. */
    once<T extends Json>(name: string, fn: () => Promise<T>): Promise<T>;
  };
}

export interface ActionDef<I extends z.ZodType = z.ZodType> {
  /** `incident.set_status`, `http.request`, `edr.isolate_host`, ... */
  name: string;
  description: string;
  input: I;
  /** Changes something outside Sentpilot (dry run must not perform it). */
  effect: boolean;
  /**
   * Contains or removes: blocks, isolates, disables, resets, revokes, purges. A gate in front of
   * it may not approve on timeout (the loader refuses `on_timeout: approve` there).
   */
  destructive?: boolean;
  /** The connector it needs configured, if any (shown to admins; "connector not configured" otherwise). */
  connector?: string;
  /**
   * What the loader can tell of a step's `with` as written, before templates are rendered (a
   * `{{ … }}` value is known only at run time): problems by path inside `with`. A playbook with
   * any is refused when it is loaded, instead of failing at run time.
   */
  checkWith?(raw: unknown): { path: (string | number)[]; reason: string }[];
  run(input: z.infer<I>, ctx: ActionContext): Promise<Json>;
}

/** Build an action with its input type inferred. */
export function defineAction<I extends z.ZodType>(def: ActionDef<I>): ActionDef<I> {
  return def;
}

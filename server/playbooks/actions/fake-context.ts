/**
 * Test helper: an ActionContext for running one action outside the engine — connectors and named
 * secrets from plain objects, effects recorded in memory (so "once" is observable), the real
 * fetch, a logger whose every line is kept (tests assert secrets never reach it), and whatever
 * services a test passes in (the document manager for incident actions, SMTP for e-mail).
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { ActionContext, ActionServices, ConnectorConfig, Json } from './types.ts';

export interface FakeContext extends ActionContext {
  /** Recorded effects by `${idempotencyKey}|${name}`. */
  recorded: Map<string, Json>;
  /** Every log line written through services.logger. */
  logLines: string[];
}

export interface FakeContextOptions {
  connectors?: Record<string, Partial<ConnectorConfig>>;
  secrets?: Record<string, string>;
  services?: Partial<ActionServices>;
  dryRun?: boolean;
  signal?: AbortSignal;
  incidentId?: string | null;
  idempotencyKey?: string;
  /** Shared between contexts to simulate a repeated attempt. */
  recorded?: Map<string, Json>;
}

export function fakeContext(opts: FakeContextOptions = {}): FakeContext {
  const logLines: string[] = [];
  const logger = pino(
    { level: 'trace' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  const recorded = opts.recorded ?? new Map<string, Json>();
  const idempotencyKey = opts.idempotencyKey ?? 'run-1:step-1:null';
  const services = {
    sql: undefined as never,
    docs: undefined as never,
    audit: undefined as never,
    policy: undefined as never,
    logger,
    async connector(name: string) {
      const c = opts.connectors?.[name];
      return c ? { endpoint: c.endpoint ?? null, settings: c.settings ?? {}, secrets: c.secrets ?? {} } : null;
    },
    async secret(name: string) {
      return opts.secrets?.[name] ?? null;
    },
    scriptsDir: '/nonexistent',
    smtp: null,
    fetch: globalThis.fetch,
    intel: null,
    ...opts.services,
  } as ActionServices;
  return {
    runId: 'run-1',
    stepId: 'step-1',
    index: null,
    attempt: 1,
    idempotencyKey,
    dryRun: opts.dryRun ?? false,
    incidentId: opts.incidentId ?? null,
    actorName: 'playbook test (run run-1)',
    signal: opts.signal ?? new AbortController().signal,
    services,
    effects: {
      async once<T extends Json>(name: string, fn: () => Promise<T>): Promise<T> {
        const key = `${idempotencyKey}|${name}`;
        if (recorded.has(key)) return recorded.get(key) as T;
        const out = await fn();
        recorded.set(key, out);
        return out;
      },
    },
    recorded,
    logLines,
  };
}

/** Check the inputs with the action's schema (as the engine does), then run it. */
export async function runAction(
  actions: ReadonlyMap<string, { input: { parse(v: unknown): unknown }; run(i: never, ctx: ActionContext): Promise<Json> }>,
  name: string,
  raw: unknown,
  ctx: ActionContext,
): Promise<Json> {
  const action = actions.get(name);
  if (!action) throw new Error(`no action ${name}`);
  return action.run(action.input.parse(raw) as never, ctx);
}

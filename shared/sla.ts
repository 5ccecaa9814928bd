/**
 * SLA and breach-notification clocks as a pure function, so the server (API, projection) and the
 * client (clocks on the incident and the list) compute the same deadlines from the same policy.
 *
 * Response is due `respondMinutes` after the incident was opened and is met once the status
 * leaves `new`; resolution is due `resolveMinutes` after opening and is met at `resolvedAt`.
 * A personal-data breach must be notified within the regulation's window from `awareAt`.
 */
import { z } from 'zod';
import { SEVERITIES, type IncidentMeta, type Severity } from './incident-schema.ts';

export const CLOCK_STATES = ['on_track', 'due_soon', 'overdue', 'met'] as const;
export type ClockState = (typeof CLOCK_STATES)[number];

const slaTargetSchema = z.object({
  respondMinutes: z.number().int().positive(),
  resolveMinutes: z.number().int().positive(),
});

const regulationSchema = z.object({
  label: z.string().min(1).max(80),
  /** Notification window from awareness, in hours. */
  hours: z.number().positive(),
});

/** An SLA policy (server config `SLA_POLICY` JSON may override the default; all keys required). */
const slaPolicySchema = z.object({
  severity: z.object(Object.fromEntries(SEVERITIES.map((s) => [s, slaTargetSchema])) as Record<Severity, typeof slaTargetSchema>),
  regulations: z.record(z.string().min(1).max(40), regulationSchema),
  /** A clock is `due_soon` when less than this fraction of its window is left. */
  dueSoonFraction: z.number().min(0).max(1),
});
export type SlaPolicy = z.infer<typeof slaPolicySchema>;

const H = 60;
const D = 24 * H;

export const DEFAULT_SLA_POLICY: SlaPolicy = {
  severity: {
    S1: { respondMinutes: 15, resolveMinutes: 4 * H },
    S2: { respondMinutes: H, resolveMinutes: D },
    S3: { respondMinutes: 4 * H, resolveMinutes: 3 * D },
    S4: { respondMinutes: D, resolveMinutes: 7 * D },
    S5: { respondMinutes: 3 * D, resolveMinutes: 30 * D },
  },
  regulations: {
    gdpr: { label: 'GDPR (72 hours)', hours: 72 },
    hipaa: { label: 'HIPAA (60 days)', hours: 60 * 24 },
    nis2: { label: 'NIS2 early warning (24 hours)', hours: 24 },
  },
  dueSoonFraction: 0.25,
};

export type SlaInput = Pick<IncidentMeta, 'severity' | 'status' | 'createdAt' | 'resolvedAt' | 'breach'>;

export interface SlaStatus {
  response_due: string;
  response_state: ClockState;
  resolution_due: string;
  resolution_state: ClockState;
  /** Minutes left on the first running clock (response, else resolution); null when both are met. */
  minutes_left: number | null;
  breach_notification_due: string | null;
  breach_state: Exclude<ClockState, 'met'> | null;
  /** The worst of the running clocks: overdue > due_soon > on_track; met when all are met. */
  state: ClockState;
}

const RANK: Record<ClockState, number> = { met: 0, on_track: 1, due_soon: 2, overdue: 3 };

function clock(startMs: number, windowMs: number, nowMs: number, met: boolean, dueSoon: number): ClockState {
  if (met) return 'met';
  const left = startMs + windowMs - nowMs;
  if (left <= 0) return 'overdue';
  return left < windowMs * dueSoon ? 'due_soon' : 'on_track';
}

/** The SLA and breach clocks of an incident at `now`. */
export function slaFor(meta: SlaInput, policy: SlaPolicy, now: Date): SlaStatus {
  const nowMs = now.getTime();
  const start = Date.parse(meta.createdAt);
  const target = policy.severity[meta.severity];
  const respondMs = target.respondMinutes * 60_000;
  const resolveMs = target.resolveMinutes * 60_000;
  const response_state = clock(start, respondMs, nowMs, meta.status !== 'new', policy.dueSoonFraction);
  const resolution_state = clock(start, resolveMs, nowMs, meta.resolvedAt !== null || meta.status === 'closed', policy.dueSoonFraction);
  const running = response_state !== 'met' ? start + respondMs : resolution_state !== 'met' ? start + resolveMs : null;

  let breach_notification_due: string | null = null;
  let breach_state: SlaStatus['breach_state'] = null;
  const regulation = meta.breach ? policy.regulations[meta.breach.regulation] : undefined;
  if (meta.breach && regulation) {
    const aware = Date.parse(meta.breach.awareAt);
    const windowMs = regulation.hours * 3_600_000;
    breach_notification_due = new Date(aware + windowMs).toISOString();
    breach_state = clock(aware, windowMs, nowMs, false, policy.dueSoonFraction) as Exclude<ClockState, 'met'>;
  }
  const states: ClockState[] = [response_state, resolution_state, ...(breach_state ? [breach_state] : [])];
  const state = states.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), 'met' as ClockState);
  return {
    response_due: new Date(start + respondMs).toISOString(),
    response_state,
    resolution_due: new Date(start + resolveMs).toISOString(),
    resolution_state,
    minutes_left: running === null ? null : Math.floor((running - nowMs) / 60_000),
    breach_notification_due,
    breach_state,
    state,
  };
}

/** Is `regulation` one the policy knows (PATCH refuses others with 422)? */
export function knownRegulation(policy: SlaPolicy, regulation: string): boolean {
  return Object.hasOwn(policy.regulations, regulation);
}

/** What `SLA_POLICY` may override: any severities, regulations (added or replaced), the due-soon fraction. */
export const slaPolicyOverrideSchema = z
  .object({
    severity: slaPolicySchema.shape.severity.partial().optional(),
    regulations: slaPolicySchema.shape.regulations.optional(),
    dueSoonFraction: slaPolicySchema.shape.dueSoonFraction.optional(),
  })
  .strict();

/** The default policy with an override applied (severities and regulations merged key by key). */
export function mergeSlaPolicy(base: SlaPolicy, override: z.infer<typeof slaPolicyOverrideSchema>): SlaPolicy {
  return {
    severity: { ...base.severity, ...override.severity } as SlaPolicy['severity'],
    regulations: { ...base.regulations, ...override.regulations },
    dueSoonFraction: override.dueSoonFraction ?? base.dueSoonFraction,
  };
}

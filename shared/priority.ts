/**
 * The triage priority as a pure, explained score (0-100): severity, the most critical affected
 * asset, SLA time left and age. Projected into `incidents.priority_score` so the queue is one
 * indexed query; the explanation says where every point came from.
 */
import type { Severity } from './incident-schema.ts';

const PRIORITY_MODEL = 'priority-v1';

export interface PriorityInput {
  severity: Severity;
  /** 1..5 (5 = crown jewel); null when no affected asset is in the inventory. */
  maxAssetCriticality: number | null;
  /** Minutes left on the running SLA clock (negative = overdue); null when every clock is met. */
  slaMinutesLeft: number | null;
  ageMinutes: number;
}

export interface PriorityFactor {
  factor: 'severity' | 'asset_criticality' | 'sla' | 'age';
  points: number;
  detail: string;
}

export interface PriorityScore {
  score: number;
  model: string;
  factors: PriorityFactor[];
  /** One readable sentence summing the factors. */
  explanation: string;
}

const SEVERITY_POINTS = { S1: 40, S2: 30, S3: 20, S4: 10, S5: 0 } as const satisfies Record<Severity, number>;

function slaPoints(left: number | null): [number, string] {
  if (left === null) return [0, 'SLA clocks met'];
  if (left <= 0) return [30, `SLA overdue by ${Math.abs(left)} min`];
  if (left < 60) return [25, `SLA due in ${left} min`];
  if (left < 240) return [15, `SLA due in ${Math.round(left / 60)} h`];
  if (left < 1_440) return [8, `SLA due in ${Math.round(left / 60)} h`];
  return [0, `SLA due in ${Math.round(left / 1_440)} d`];
}

export function priorityScore(input: PriorityInput): PriorityScore {
  const sev = SEVERITY_POINTS[input.severity];
  const crit = input.maxAssetCriticality === null ? null : Math.min(5, Math.max(1, Math.round(input.maxAssetCriticality)));
  const assetPts = crit === null ? 0 : (crit - 1) * 5;
  const [slaPts, slaDetail] = slaPoints(input.slaMinutesLeft === null ? null : Math.round(input.slaMinutesLeft));
  const ageDays = Math.max(0, Math.floor(input.ageMinutes / 1_440));
  const agePts = Math.min(10, ageDays * 2);
  const factors: PriorityFactor[] = [
    { factor: 'severity', points: sev, detail: `severity ${input.severity}` },
    { factor: 'asset_criticality', points: assetPts, detail: crit === null ? 'no inventoried asset affected' : `most critical asset: criticality ${crit}/5` },
    { factor: 'sla', points: slaPts, detail: slaDetail },
    { factor: 'age', points: agePts, detail: `open ${ageDays} d` },
  ];
  const score = sev + assetPts + slaPts + agePts;
  const explanation = `${score} = ${factors.map((f) => `${f.points} (${f.detail})`).join(' + ')}`;
  return { score, model: PRIORITY_MODEL, factors, explanation };
}

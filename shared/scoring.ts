/**
 * The alert risk score: pure and deterministic. From an alert's impact, likelihood and
 * confidence (1-5 each), the highest criticality among its known assets (1-5), whether it
 * involves a privileged account, and an optional threat-intel reputation (0-100, absent until
 * the intel issue), it computes 0-100, a severity and one factor per input with its points and a
 * sentence. The incident stores the result with `setRisk`; the client shows the factors.
 */
import type { Risk, Severity } from './incident-schema.ts';

export const SCORING_MODEL = 'alert-risk/1';

export interface ScoreInput {
  /** How bad it is if true: 1 (negligible) .. 5 (severe). */
  impact: number;
  /** How likely the activity is malicious: 1 .. 5. */
  likelihood: number;
  /** How much the detection is trusted: 1 (noisy) .. 5 (certain). */
  confidence: number;
  /** Highest criticality (1-5) among the alert's hosts/accounts found in the inventory; null = none known. */
  maxAssetCriticality: number | null;
  /** Name of that asset, for the explanation. */
  criticalAsset?: string | null;
  /** A privileged account is involved (name for the explanation). */
  privilegedAccount?: string | null;
  /** Threat-intel reputation of the observables: 0 (benign) .. 100 (known malicious); absent = no intel. */
  reputation?: number | null;
}

/** Points each input can add at most (before the confidence weighting). */
const WEIGHTS = { impact: 45, likelihood: 25, asset: 25, privileged: 10, reputation: 15 } as const;

/** Severity from score: ≥80 S1, ≥60 S2, ≥40 S3, ≥20 S4, else S5. */
export function severityForScore(score: number): Severity {
  if (score >= 80) return 'S1';
  if (score >= 60) return 'S2';
  if (score >= 40) return 'S3';
  if (score >= 20) return 'S4';
  return 'S5';
}

const SEVERITY_RANK = { S1: 5, S2: 4, S3: 3, S4: 2, S5: 1 } as const satisfies Record<Severity, number>;

/** True when `a` is more severe than `b` (S1 > S2 > ... > S5). */
export const moreSevere = (a: Severity, b: Severity): boolean => SEVERITY_RANK[a] > SEVERITY_RANK[b];

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Number.isFinite(v) ? v : lo));
const scale5 = (v: number): number => (clamp(Math.round(v), 1, 5) - 1) / 4;
const round1 = (v: number): number => Math.round(v * 10) / 10;

export function scoreAlert(input: ScoreInput): Risk {
  const factors: Risk['factors'] = [];
  const impact = clamp(Math.round(input.impact), 1, 5);
  const likelihood = clamp(Math.round(input.likelihood), 1, 5);
  const confidence = clamp(Math.round(input.confidence), 1, 5);

  const impactPts = round1(scale5(impact) * WEIGHTS.impact);
  factors.push({ factor: 'impact', points: impactPts, detail: `Impact ${impact}/5 adds ${impactPts} of ${WEIGHTS.impact} points.` });
  const likePts = round1(scale5(likelihood) * WEIGHTS.likelihood);
  factors.push({ factor: 'likelihood', points: likePts, detail: `Likelihood ${likelihood}/5 adds ${likePts} of ${WEIGHTS.likelihood} points.` });

  let assetPts = 0;
  if (input.maxAssetCriticality !== null) {
    const crit = clamp(Math.round(input.maxAssetCriticality), 1, 5);
    assetPts = round1(scale5(crit) * WEIGHTS.asset);
    const name = input.criticalAsset ? ` (${input.criticalAsset})` : '';
    factors.push({
      factor: 'asset_criticality',
      points: assetPts,
      detail: `Most critical asset involved${name} has criticality ${crit}/5: ${assetPts} points.`,
    });
  } else {
    factors.push({ factor: 'asset_criticality', points: 0, detail: 'No involved host or account is in the asset inventory.' });
  }

  let privPts = 0;
  if (input.privilegedAccount) {
    privPts = WEIGHTS.privileged;
    factors.push({ factor: 'privileged_account', points: privPts, detail: `Privileged account ${input.privilegedAccount} is involved: ${privPts} points.` });
  }

  let repPts = 0;
  if (input.reputation !== undefined && input.reputation !== null) {
    const rep = clamp(input.reputation, 0, 100);
    repPts = round1((rep / 100) * WEIGHTS.reputation);
    factors.push({ factor: 'intel_reputation', points: repPts, detail: `Threat-intel reputation ${rep}/100 adds ${repPts} points.` });
  }

  const raw = impactPts + likePts + assetPts + privPts + repPts;
  // Confidence weights the sum: 1/5 keeps 60 %, 5/5 keeps all of it.
  const weight = 0.6 + 0.4 * scale5(confidence);
  const confPts = round1(raw * weight - raw);
  factors.push({
    factor: 'confidence',
    points: confPts,
    detail:
      confPts === 0
        ? `Confidence ${confidence}/5: the score is kept whole.`
        : `Confidence ${confidence}/5 keeps ${Math.round(weight * 100)} % of the score (${confPts} points).`,
  });

  const score = Math.round(clamp(raw * weight, 0, 100));
  if (raw * weight > 100) factors.push({ factor: 'cap', points: round1(100 - raw * weight), detail: 'The score is capped at 100.' });
  return { score, severity: severityForScore(score), factors, model: SCORING_MODEL };
}

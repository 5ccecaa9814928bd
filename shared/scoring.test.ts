import { describe, expect, it } from 'vitest';
import { riskSchema } from './incident-schema.ts';
import { moreSevere, SCORING_MODEL, scoreAlert, severityForScore, type ScoreInput } from './scoring.ts';

const base: ScoreInput = { impact: 3, likelihood: 3, confidence: 3, maxAssetCriticality: null };

describe('AL3: scoreAlert', () => {
  it.each([
    // impact, likelihood, confidence, crit, privileged, reputation → score, severity
    [1, 1, 1, null, null, undefined, 0, 'S5'],
    [1, 1, 5, null, null, undefined, 0, 'S5'],
    [3, 3, 3, null, null, undefined, 28, 'S4'],
    [5, 5, 5, null, null, undefined, 70, 'S2'],
    [5, 5, 5, 5, null, undefined, 95, 'S1'],
    [5, 5, 5, 5, 'root', undefined, 100, 'S1'],
    [5, 5, 5, 5, 'root', 100, 100, 'S1'],
    [4, 3, 4, 3, null, undefined, 53, 'S3'],
    [4, 3, 1, 3, null, undefined, 35, 'S4'],
    [3, 3, 3, 1, null, undefined, 28, 'S4'],
    [3, 3, 3, 5, 'svc-backup', undefined, 56, 'S3'],
    [2, 2, 3, null, null, 80, 24, 'S4'],
  ] as const)('impact %i likelihood %i confidence %i crit %s priv %s rep %s → %i %s', (impact, likelihood, confidence, crit, priv, rep, score, severity) => {
    const r = scoreAlert({ impact, likelihood, confidence, maxAssetCriticality: crit, privilegedAccount: priv, reputation: rep });
    expect(r.score).toBe(score);
    expect(r.severity).toBe(severity);
    expect(r.model).toBe(SCORING_MODEL);
    expect(riskSchema.safeParse(r).success).toBe(true);
  });

  it('explains every input with points and a sentence', () => {
    const r = scoreAlert({ ...base, maxAssetCriticality: 5, criticalAsset: 'dc01', privilegedAccount: 'administrator', reputation: 60 });
    expect(r.factors.map((f) => f.factor)).toEqual(['impact', 'likelihood', 'asset_criticality', 'privileged_account', 'intel_reputation', 'confidence']);
    expect(r.factors.find((f) => f.factor === 'asset_criticality')?.detail).toContain('dc01');
    expect(r.factors.find((f) => f.factor === 'privileged_account')?.points).toBe(10);
    for (const f of r.factors) expect(f.detail.length).toBeGreaterThan(10);
  });

  it('is deterministic and clamps out-of-range inputs', () => {
    expect(scoreAlert(base)).toEqual(scoreAlert(base));
    const wild = scoreAlert({ impact: 99, likelihood: -3, confidence: Number.NaN, maxAssetCriticality: 12, reputation: 500 });
    expect(wild.score).toBeGreaterThanOrEqual(0);
    expect(wild.score).toBeLessThanOrEqual(100);
    expect(riskSchema.safeParse(wild).success).toBe(true);
  });

  it('is monotonic in each input', () => {
    for (const key of ['impact', 'likelihood', 'confidence'] as const) {
      let prev = -1;
      for (let v = 1; v <= 5; v++) {
        const s = scoreAlert({ ...base, [key]: v }).score;
        expect(s).toBeGreaterThanOrEqual(prev);
        prev = s;
      }
    }
  });
});

describe('severityForScore', () => {
  it.each([
    [100, 'S1'],
    [80, 'S1'],
    [79, 'S2'],
    [60, 'S2'],
    [59, 'S3'],
    [40, 'S3'],
    [39, 'S4'],
    [20, 'S4'],
    [19, 'S5'],
    [0, 'S5'],
  ] as const)('%i → %s', (score, sev) => expect(severityForScore(score)).toBe(sev));
  it('orders severities', () => {
    expect(moreSevere('S1', 'S2')).toBe(true);
    expect(moreSevere('S3', 'S3')).toBe(false);
    expect(moreSevere('S5', 'S4')).toBe(false);
  });
});

/**
 * Per-alert planning inputs: the risk score from the alert and the asset inventory, and the
 * correlation keys (`kind:value`, plus `asset:name` for hosts and accounts) the rules select.
 */
import { SEVERITY_IMPACT, type AlertInput, type AlertRules } from '../../shared/alerts-api.ts';
import type { Risk } from '../../shared/incident-schema.ts';
import { scoreAlert } from '../../shared/scoring.ts';
import type { Planned } from './incident-writer.ts';

/** The score's inputs from the alert, the inventory and the intel reputation of its observables (null: no match). */
export function riskOf(
  a: AlertInput,
  assets: ReadonlyMap<string, { criticality: number; privileged: boolean; kind: string }>,
  reputation: number | null = null,
): Risk {
  let maxCrit: number | null = null;
  let critName: string | null = null;
  let privileged: string | null = null;
  const consider = (kind: 'host' | 'account', names: readonly string[] | undefined): void => {
    for (const n of names ?? []) {
      const name = n.trim().toLowerCase();
      const asset = assets.get(`${kind}:${name}`);
      if (!asset) continue;
      if (maxCrit === null || asset.criticality > maxCrit) {
        maxCrit = asset.criticality;
        critName = name;
      }
      if (kind === 'account' && asset.privileged && !privileged) privileged = name;
    }
  };
  consider('host', a.observables?.hosts);
  consider('account', a.observables?.accounts);
  return scoreAlert({
    impact: a.impact ?? (a.severity ? SEVERITY_IMPACT[a.severity] : 3),
    likelihood: a.likelihood ?? 3,
    confidence: a.confidence ?? 3,
    maxAssetCriticality: maxCrit,
    criticalAsset: critName,
    privilegedAccount: privileged,
    reputation,
  });
}

/** Correlation keys of an alert under the rules: `kind:value`, plus `asset:name` for hosts/accounts. */
export function correlationKeys(p: Pick<Planned, 'observables'>, rules: AlertRules): string[] {
  const kinds = new Set<string>(rules.correlate_on);
  const keys: string[] = [];
  for (const o of p.observables) {
    if (!kinds.has(o.kind)) continue;
    keys.push(`${o.kind}:${o.value}`);
    if (o.kind === 'host' || o.kind === 'account') keys.push(`asset:${o.value}`);
  }
  return keys;
}

export const splitKey = (k: string): { kind: string; value: string } => {
  const i = k.indexOf(':');
  return { kind: k.slice(0, i), value: k.slice(i + 1) };
};

/**
 * From a candidate (native body item or adapter output) to a validated native alert: zod
 * validation that names each bad field, lenient observable clean-up for tool payloads, the dedup
 * fingerprint, and the observable keys correlation looks up.
 */
import { createHash } from 'node:crypto';
import { alertInputSchema, alertObservablesSchema, MAX_OBSERVABLES_PER_KIND, OBSERVABLE_LISTS, type AlertInput } from '../../shared/alerts-api.ts';
import type { Observable, ObservableKind } from '../../shared/incident-schema.ts';
import { canonicalUrlObservable } from '../../shared/intel-values.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import { isRecord } from './adapters/payload.ts';
import { withCanonicalIps } from './observable-ips.ts';

/** `path: message` for each issue (path `observables.ips.1`). */
function describe(issues: readonly { path: readonly PropertyKey[]; message: string; code?: string; keys?: readonly string[] }[]): string[] {
  return issues.map((i) => {
    const path = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys' && i.keys?.length)
      return `${path ? path + ': ' : ''}unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${path || 'alert'}: ${i.message}`;
  });
}

/** Tool payloads: keep only observable values the native schema accepts (a bad IP is dropped, not fatal). */
function cleanObservables(candidate: Record<string, unknown>): Record<string, unknown> {
  const obs = candidate['observables'];
  if (!isRecord(obs)) return candidate;
  const shape = alertObservablesSchema.shape;
  const cleaned: Record<string, string[]> = {};
  for (const list of OBSERVABLE_LISTS) {
    const values = obs[list];
    if (!Array.isArray(values)) continue;
    const item = shape[list].unwrap().element;
    const good = [...new Set(values.filter((v): v is string => typeof v === 'string' && item.safeParse(v).success))];
    if (good.length) cleaned[list] = good.slice(0, MAX_OBSERVABLES_PER_KIND);
  }
  return { ...candidate, observables: cleaned };
}

export function validateAlert(candidate: unknown, opts: { lenient: boolean }): Result<AlertInput, string[]> {
  const input = opts.lenient && isRecord(candidate) ? cleanObservables(candidate) : candidate;
  const parsed = alertInputSchema.safeParse(input);
  return parsed.success ? ok(withCanonicalIps(parsed.data)) : err(describe(parsed.error.issues));
}

const LIST_KIND = { ips: 'ip', domains: 'domain', urls: 'url', hashes: 'hash', accounts: 'account', hosts: 'host' } as const satisfies Record<
  (typeof OBSERVABLE_LISTS)[number],
  ObservableKind
>;

/** An observable's value: URLs in the canonical form indicators have (their path keeps its case), the rest lower-cased. */
function observableValue(list: (typeof OBSERVABLE_LISTS)[number], raw: string): string {
  if (list === 'urls') return canonicalUrlObservable(raw) ?? raw.trim();
  return raw.trim().toLowerCase();
}

/** De-duplicated observables of the alert, as incident observables (see observableValue). */
export function alertObservables(a: AlertInput): Observable[] {
  const out = new Map<string, Observable>();
  for (const list of OBSERVABLE_LISTS) {
    for (const v of a.observables?.[list] ?? []) {
      const value = observableValue(list, v);
      if (value) out.set(`${LIST_KIND[list]}:${value}`, { kind: LIST_KIND[list], value });
    }
  }
  return [...out.values()];
}

/** Hosts and accounts: the incident's affected assets (lower-case names). */
export function alertAssets(a: AlertInput): string[] {
  return [...new Set([...(a.observables?.hosts ?? []), ...(a.observables?.accounts ?? [])].map((v) => v.trim().toLowerCase()).filter(Boolean))];
}

/**
 * Same source + external id, or same source + type + title + observables → same fingerprint.
 * SHA-256 hex of a canonical string.
 */
export function fingerprint(a: AlertInput): string {
  const basis = a.external_id
    ? ['ext', a.source.toLowerCase(), a.external_id]
    : // Lower-cased as before URLs kept their path's case, so fingerprints of stored alerts stay valid.
      [
        'v1',
        a.source.toLowerCase(),
        a.type.toLowerCase(),
        a.title.trim().toLowerCase(),
        ...alertObservables(a)
          .map((o) => `${o.kind}:${o.value.toLowerCase()}`)
          .sort(),
      ];
  return createHash('sha256').update(JSON.stringify(basis)).digest('hex');
}

/**
 * A generic webhook with an admin-defined field mapping: each native field takes the value at a
 * path (JSON pointer or dotted) in the payload; observable lists collect every path's values;
 * numeric impact/likelihood/confidence may be 1-5 or 0-100 (mapped to 1-5).
 */
import { OBSERVABLE_LISTS, type AlertMappingInput } from '../../../shared/alerts-api.ts';
import { err, ok } from '../../../shared/result.ts';
import { at, compact, isRecord, isoTime, level5, num, severityWord, str, strings, type AdapterResult } from './payload.ts';

const paths = (p: string | string[] | undefined): string[] => (p === undefined ? [] : Array.isArray(p) ? p : [p]);

export function fromWebhook(mapping: AlertMappingInput): (e: unknown) => AdapterResult {
  const f = mapping.fields;
  return (e) => {
    if (!isRecord(e)) return err(['event: expected a JSON object']);
    const level = (field: 'impact' | 'likelihood' | 'confidence'): number | undefined => {
      const v = num(e, ...paths(f[field]));
      return v === undefined ? undefined : level5(v);
    };
    const severityRaw = paths(f.severity)
      .map((p) => at(e, p))
      .find((v) => v !== undefined);
    const observables: Record<string, string[]> = {};
    for (const list of OBSERVABLE_LISTS) observables[list] = strings(e, ...paths(f[`observables.${list}`]));
    const time = (field: 'observed_at' | 'detected_at'): string | undefined => {
      const v = paths(f[field])
        .map((p) => at(e, p))
        .find((x) => x !== undefined);
      return v === undefined ? undefined : isoTime(v);
    };
    return ok(
      compact({
        source: str(e, ...paths(f.source)) ?? mapping.defaults.source ?? 'webhook',
        type: str(e, ...paths(f.type)) ?? mapping.defaults.type ?? 'alert',
        title: str(e, ...paths(f.title)),
        description: str(e, ...paths(f.description)),
        severity: severityWord(severityRaw, mapping.severity_map) ?? mapping.defaults.severity,
        impact: level('impact'),
        likelihood: level('likelihood'),
        confidence: level('confidence'),
        observed_at: time('observed_at'),
        detected_at: time('detected_at'),
        external_id: str(e, ...paths(f.external_id)),
        observables,
      }),
    );
  };
}

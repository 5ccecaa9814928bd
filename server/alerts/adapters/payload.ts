/**
 * Helpers the adapters share: reading paths from a tool's payload (JSON pointers, dotted paths,
 * and the flattened dotted keys Elastic writes), collecting string values, normalizing
 * timestamps, mapping 0-100 scales to 1-5, and the adapter result type.
 */
import { ALERT_SEVERITIES, type AlertSeverity } from '../../../shared/alerts-api.ts';
import type { Result } from '../../../shared/result.ts';

/** A tool event that is not an alert (Suricata's dns, flow, stats… lines): skipped and counted, not failed. */
export interface Ignored {
  ok: false;
  ignored: string;
}
export const ignored = (reason: string): Ignored => ({ ok: false, ignored: reason });

/** An adapter turns one tool event into a native alert candidate (validated afterwards), or ignores it. */
export type AdapterResult = Result<Record<string, unknown>, string[]> | Ignored;
export type Adapter = (event: unknown) => AdapterResult;

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function own(o: Record<string, unknown>, k: string): boolean {
  return Object.hasOwn(o, k) && k !== '__proto__';
}

function dotted(v: unknown, segs: readonly string[]): unknown {
  if (segs.length === 0) return v;
  if (!isRecord(v)) {
    if (Array.isArray(v) && /^\d+$/.test(segs[0] ?? '')) return dotted(v[Number(segs[0])], segs.slice(1));
    return undefined;
  }
  // Longest key first: Elastic alerts carry flattened keys like "kibana.alert.rule.name".
  for (let i = segs.length; i >= 1; i--) {
    const key = segs.slice(0, i).join('.');
    if (own(v, key)) {
      const found = dotted(v[key], segs.slice(i));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Value at a JSON pointer (`/a/b/0`) or dotted path (`a.b.0`); undefined when absent. */
export function at(payload: unknown, path: string): unknown {
  if (path.startsWith('/')) {
    let v: unknown = payload;
    for (const raw of path.slice(1).split('/')) {
      const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (Array.isArray(v) && /^\d+$/.test(seg)) v = v[Number(seg)];
      else if (isRecord(v) && own(v, seg)) v = v[seg];
      else return undefined;
    }
    return v;
  }
  return dotted(payload, path.split('.'));
}

/** String value at the first path that has one (numbers are stringified). */
export function str(payload: unknown, ...paths: string[]): string | undefined {
  for (const p of paths) {
    const v = at(payload, p);
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (Array.isArray(v)) {
      const first = v.find((x) => typeof x === 'string' && x.trim() !== '');
      if (typeof first === 'string') return first.trim();
    }
  }
  return undefined;
}

export function num(payload: unknown, ...paths: string[]): number | undefined {
  for (const p of paths) {
    const v = at(payload, p);
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}

/** Every string found at these paths (arrays flattened), trimmed, de-duplicated. */
export function strings(payload: unknown, ...paths: string[]): string[] {
  const out = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === 'string' && v.trim() !== '') out.add(v.trim());
    else if (typeof v === 'number' && Number.isFinite(v)) out.add(String(v));
    else if (Array.isArray(v)) v.forEach(add);
  };
  for (const p of paths) add(at(payload, p));
  return [...out];
}

/** ISO-8601 UTC from a tool timestamp (`2026-01-10T10:00:00.123456+0000`, epoch ms/s, ISO). */
export function isoTime(v: unknown): string | undefined {
  let ms: number;
  if (typeof v === 'number' && Number.isFinite(v)) ms = v < 1e12 ? v * 1000 : v;
  else if (typeof v === 'string' && v.trim() !== '') {
    // "+0000" → "+00:00"; microseconds → milliseconds.
    const fixed = v
      .trim()
      .replace(/([+-]\d{2})(\d{2})$/, '$1:$2')
      .replace(/(\.\d{3})\d+/, '$1');
    ms = Date.parse(fixed);
  } else return undefined;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** A 0-100 value (or already 1-5) as 1-5. */
export function level5(v: number): number {
  if (v <= 5) return Math.min(5, Math.max(1, Math.round(v)));
  return Math.min(5, Math.max(1, 1 + Math.round((Math.min(v, 100) / 100) * 4)));
}

export function severityWord(v: unknown, map: Readonly<Record<string, AlertSeverity>> = {}): AlertSeverity | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const key = String(v);
  if (Object.hasOwn(map, key)) return map[key];
  const lower = key.toLowerCase();
  return (ALERT_SEVERITIES as readonly string[]).includes(lower) ? (lower as AlertSeverity) : undefined;
}

/** Drop undefined values and empty observable lists (the native schema is strict). */
export function compact(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = isRecord(v) && k === 'observables' ? compact(v) : v;
  }
  return out;
}

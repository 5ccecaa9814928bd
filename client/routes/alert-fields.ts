/** Small readers over an alert as the API sends it (names vary a little between fields). */
import type { AlertItem } from '../local/incident-api.ts';

export const alertCount = (a: AlertItem): number => a.count ?? a.dedup_count ?? 1;
export const alertReceivedAt = (a: AlertItem): string | null => a.last_seen ?? a.received_at ?? a.detected_at ?? a.observed_at ?? null;

/** Score factors wherever the API put them (`risk.factors` or `factors`). */
export function alertFactors(a: AlertItem): { factor: string; points: number; detail: string }[] {
  const from = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const risk = a.risk;
  const raw = from(a.factors).length ? from(a.factors) : typeof risk === 'object' && risk !== null ? from((risk as { factors?: unknown }).factors) : [];
  const out: { factor: string; points: number; detail: string }[] = [];
  for (const f of raw) {
    if (typeof f !== 'object' || f === null) continue;
    const r = f as Record<string, unknown>;
    out.push({
      factor: String(r['factor'] ?? r['name'] ?? ''),
      points: typeof r['points'] === 'number' ? r['points'] : 0,
      detail: String(r['detail'] ?? r['reason'] ?? ''),
    });
  }
  return out;
}

/** Pretty JSON for a <pre> (as text), capped so a huge payload does not freeze the page. */
export function prettyJson(v: unknown, max = 200_000): string {
  let s: string;
  try {
    s = JSON.stringify(v, null, 2) ?? 'null';
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max)}\n… (${s.length - max} more characters)` : s;
}

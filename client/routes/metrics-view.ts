/**
 * What the metrics page computes before it asks: the time range of a preset or of two dates the
 * lead typed, and how a duration in minutes reads ("2 h 14 min", "3 d 4 h"). Pure, so it is
 * tested without a browser.
 */
export const RANGE_PRESETS = [
  { id: '7d', label: 'Last 7 days', days: 7 },
  { id: '30d', label: 'Last 30 days', days: 30 },
  { id: '90d', label: 'Last 90 days', days: 90 },
  { id: '365d', label: 'Last 12 months', days: 365 },
] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number]['id'];

const DAY_MS = 86_400_000;

/** [from, to) as ISO instants: a preset ends now; custom dates are whole local days, `to` included. */
export function metricsRange(
  choice: RangePreset | 'custom',
  custom: { from: string; to: string },
  now: number,
): { from: string; to: string } | { error: string } {
  if (choice !== 'custom') {
    const days = RANGE_PRESETS.find((p) => p.id === choice)?.days ?? 30;
    return { from: new Date(now - days * DAY_MS).toISOString(), to: new Date(now).toISOString() };
  }
  const day = /^\d{4}-\d{2}-\d{2}$/;
  if (!day.test(custom.from) || !day.test(custom.to)) return { error: 'Choose both dates.' };
  const from = new Date(`${custom.from}T00:00:00`);
  const to = new Date(new Date(`${custom.to}T00:00:00`).getTime() + DAY_MS);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return { error: 'Choose both dates.' };
  if (from >= to) return { error: 'The first date must not be after the last.' };
  return { from: from.toISOString(), to: to.toISOString() };
}

/** A duration for people: minutes under an hour, hours and minutes under two days, else days and hours. */
export function formatMinutes(minutes: number | null): string {
  if (minutes === null || !Number.isFinite(minutes)) return '—';
  const m = Math.max(0, Math.round(minutes));
  if (m < 60) return `${m} min`;
  if (m < 48 * 60) {
    const rest = m % 60;
    return rest ? `${Math.floor(m / 60)} h ${rest} min` : `${m / 60} h`;
  }
  const h = Math.round(m / 60);
  return h % 24 ? `${Math.floor(h / 24)} d ${h % 24} h` : `${h / 24} d`;
}

/** A breakdown's rows, largest first, with each one's share of the largest (for the bar). */
export function breakdownRows<K extends string>(counts: Record<string, number>, order: readonly K[]): { key: K; n: number; share: number }[] {
  const rows = order.filter((k) => (counts[k] ?? 0) > 0).map((k) => ({ key: k, n: counts[k] ?? 0 }));
  const max = Math.max(1, ...rows.map((r) => r.n));
  return rows.map((r) => ({ ...r, share: r.n / max })).sort((a, b) => b.n - a.n);
}

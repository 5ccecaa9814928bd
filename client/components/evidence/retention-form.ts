/**
 * The retention settings as the admin page edits them: one text field per incident category
 * (empty = the default) plus the default, checked before anything is sent, and which categories
 * a change shortens (their stored items keep the retention they were stored under).
 */
import type { Retention } from '../../../shared/evidence-api.ts';
import { CATEGORIES, type Category } from '../../../shared/incident-schema.ts';
import { err, ok, type Result } from '../../../shared/result.ts';

/** The same bound as the server's `retentionSchema`. */
export const MAX_RETENTION_DAYS = 36_500;

export interface RetentionFields {
  defaultDays: string;
  /** '' = this category follows the default. */
  days: Record<Category, string>;
}

/** Per field (`default` or a category), what is wrong with it. */
export type RetentionErrors = Partial<Record<Category | 'default', string>>;

export function retentionFields(r: Retention): RetentionFields {
  const days = Object.fromEntries(CATEGORIES.map((c) => [c, r.days[c] === undefined ? '' : String(r.days[c])])) as Record<Category, string>;
  return { defaultDays: String(r.default_days), days };
}

function wholeDays(text: string): number | string {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return 'whole days, 0 or more';
  const n = Number(t);
  return n > MAX_RETENTION_DAYS ? `at most ${MAX_RETENTION_DAYS.toLocaleString('en')} days` : n;
}

export function parseRetentionFields(f: RetentionFields): Result<Retention, RetentionErrors> {
  const errors: RetentionErrors = {};
  const def = f.defaultDays.trim() === '' ? 'required' : wholeDays(f.defaultDays);
  if (typeof def === 'string') errors.default = def;
  const days: Retention['days'] = {};
  for (const c of CATEGORIES) {
    if (f.days[c].trim() === '') continue;
    const n = wholeDays(f.days[c]);
    if (typeof n === 'string') errors[c] = n;
    else days[c] = n;
  }
  if (typeof def === 'string' || Object.keys(errors).length > 0) return err(errors);
  return ok({ days, default_days: def });
}

/** Days in force for a category. */
const effectiveDays = (r: Retention, c: Category): number => r.days[c] ?? r.default_days;

/** The categories whose retention `next` makes shorter than `current`. */
export function shortenedCategories(current: Retention, next: Retention): Category[] {
  return CATEGORIES.filter((c) => effectiveDays(next, c) < effectiveDays(current, c));
}

/** True when the fields say the same as `saved` (so there is nothing to save). */
export function sameRetention(a: Retention, b: Retention): boolean {
  return a.default_days === b.default_days && CATEGORIES.every((c) => a.days[c] === b.days[c]);
}

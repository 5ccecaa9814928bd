/**
 * The incident's cost section: its Yjs layout, a defensive reader with exact totals, and the
 * validated writers. This module owns the cost keys of the incident document the way
 * shared/incident-doc.ts owns the others (nothing else touches them by string).
 *
 * Layout (top-level types of the incident's Y.Doc, not nested in another map: two devices
 * opening an empty cost section offline would each create a nested type and the merge would
 * keep only one — see the header of shared/incident-doc.ts):
 *   cost        Y.Map    scalars: `currency` (ISO 4217), `updatedAt`/`updatedBy`
 *   cost:lines  Y.Array<Y.Map>  one map per line, each field a key (last writer wins per field,
 *                        so two people editing different fields of one line both keep theirs):
 *                        id, kind, label, target, assetId, category, hours, from, to, rate, amount,
 *                        assumption, createdAt/createdBy (written once), updatedAt/updatedBy, deleted
 *
 * Money is integer minor units of the incident's one currency (cents for EUR, yen for JPY);
 * hours are integer hundredths of an hour. A line's cost is exact integer arithmetic
 * (hours × rate rounded half up to a minor unit, once per line) and the limits keep every sum
 * far below 2^53, so totals never drift. Changing the currency relabels the amounts; it does not
 * convert them.
 *
 * Kinds: downtime (an asset or a business service × hours down × hourly cost; the hours either
 * given or running from `from` to `to`, or to now while the outage lasts), effort (a responder
 * × hours × rate), recovery (an amount) and third_party (forensics, legal, notification, … an
 * amount). Lines are marked deleted, never removed (the server guard puts removed ones back).
 */
import * as Y from 'yjs';
import { z } from 'zod';
import { isoDateTime, LIMITS } from './incident-schema.ts';
import { newId } from './ids.ts';
import { err, ok, type Result } from './result.ts';

export const COST_KINDS = ['downtime', 'effort', 'recovery', 'third_party'] as const;
export type CostKind = (typeof COST_KINDS)[number];

export const THIRD_PARTY_CATEGORIES = ['forensics', 'legal', 'notification', 'public_relations', 'other'] as const;
export const DOWNTIME_TARGETS = ['asset', 'service'] as const;

/** The currency of an incident whose cost section names none. */
export const DEFAULT_CURRENCY = 'EUR';

export const COST_LIMITS = {
  /** Lines per incident, deleted ones included (they stay in the document). */
  lines: 200,
  label: LIMITS.shortText,
  assumption: 2_000,
  /** Hundredths of an hour on one line: 10,000 hours. */
  hours: 1_000_000,
  /** Minor units per hour: 10,000,000.00 in a two-decimal currency. */
  rate: 1_000_000_000,
  /** Minor units of one amount line: 100,000,000,000.00 in a two-decimal currency. */
  amount: 10_000_000_000_000,
} as const;

/** The keys, for the server guard (shared/incident-guard.ts), which keeps lines from being removed. */
export const COST_LAYOUT = {
  settings: 'cost',
  lines: 'cost:lines',
  /** Keys of a line written once, when it is created. */
  lineFixed: new Set<string>(['id', 'kind', 'createdAt', 'createdBy']),
} as const;

const label = z.string().trim().min(1).max(COST_LIMITS.label);
const assumption = z.string().max(COST_LIMITS.assumption);
const hours = z.number().int().min(0).max(COST_LIMITS.hours);
const rate = z.number().int().min(0).max(COST_LIMITS.rate);
const amount = z.number().int().min(0).max(COST_LIMITS.amount);
const lineId = z.string().min(1).max(64);

const downtimeFields = z.object({
  kind: z.literal('downtime'),
  label,
  target: z.enum(DOWNTIME_TARGETS),
  /** The inventory asset the line takes its hourly cost from (null: typed in, or a business service). */
  assetId: z.string().max(64).nullable().default(null),
  /** Hours down in hundredths; null while `from` runs (to `to`, or to now). */
  hours: hours.nullable().default(null),
  from: isoDateTime.nullable().default(null),
  to: isoDateTime.nullable().default(null),
  rate,
  assumption: assumption.default(''),
});
const effortFields = z.object({ kind: z.literal('effort'), label, hours, rate, assumption: assumption.default('') });
const recoveryFields = z.object({ kind: z.literal('recovery'), label, amount, assumption: assumption.default('') });
const thirdPartyFields = z.object({
  kind: z.literal('third_party'),
  label,
  category: z.enum(THIRD_PARTY_CATEGORIES),
  amount,
  assumption: assumption.default(''),
});

/** A downtime line has hours, or a start its hours run from. */
type Timed = { kind: string; hours?: unknown; from?: unknown; to?: unknown };
const downtimeRule = (l: Timed): boolean => l.kind !== 'downtime' || l.hours !== null || l.from !== null;
/** An outage ends after it starts. */
const orderRule = (l: Timed): boolean => typeof l.from !== 'string' || typeof l.to !== 'string' || Date.parse(l.to) >= Date.parse(l.from);

/** What a writer gives for one line (`id` to change an existing line, none for a new one). */
export const costLineInputSchema = z
  .discriminatedUnion('kind', [
    downtimeFields.extend({ id: lineId.optional() }),
    effortFields.extend({ id: lineId.optional() }),
    recoveryFields.extend({ id: lineId.optional() }),
    thirdPartyFields.extend({ id: lineId.optional() }),
  ])
  .refine(downtimeRule, { message: 'a downtime line needs hours or a start time', path: ['hours'] })
  .refine(orderRule, { message: 'the outage cannot end before it starts', path: ['to'] });
export type CostLineInput = z.input<typeof costLineInputSchema>;

const bookkeeping = {
  id: lineId,
  createdAt: isoDateTime,
  createdBy: z.string().max(LIMITS.shortText),
  updatedAt: isoDateTime,
  updatedBy: z.string().max(LIMITS.shortText),
  deleted: z.boolean(),
};
const storedLineSchema = z
  .discriminatedUnion('kind', [
    downtimeFields.extend(bookkeeping),
    effortFields.extend(bookkeeping),
    recoveryFields.extend(bookkeeping),
    thirdPartyFields.extend(bookkeeping),
  ])
  .refine(downtimeRule)
  .refine(orderRule);
type StoredLine = z.infer<typeof storedLineSchema>;

/** A line as read, with what it costs: `hoursUsed` (hundredths) is the running outage's hours so far when it has no `hours`. */
export type CostLine = StoredLine & { cost: number; hoursUsed: number | null; running: boolean };

export interface CostSummary {
  currency: string;
  /** Live lines in document order (deleted ones are left out). */
  lines: CostLine[];
  subtotals: Record<CostKind, number>;
  /** Sum of the subtotals, in minor units of `currency`. */
  total: number;
  /** True when a downtime line is still running (the total grows with time). */
  running: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
  /** Lines or settings that could not be read, as sentences (shown as a warning; such lines count nothing). */
  problems: string[];
}

type YLine = Y.Map<unknown>;
const settingsOf = (doc: Y.Doc): Y.Map<unknown> => doc.getMap(COST_LAYOUT.settings);
const linesOf = (doc: Y.Doc): Y.Array<YLine> => doc.getArray<YLine>(COST_LAYOUT.lines);

const digitsCache = new Map<string, number>();

/** Digits after the decimal point of a currency's minor unit (2 for EUR, 0 for JPY), or null for an unknown code. */
export function currencyDigits(currency: string): number | null {
  if (!/^[A-Z]{3}$/.test(currency)) return null;
  const cached = digitsCache.get(currency);
  if (cached !== undefined) return cached;
  try {
    const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsCache.set(currency, digits);
    return digits;
  } catch {
    return null;
  }
}

export const currencySchema = z.string().refine((c) => currencyDigits(c) !== null, 'an ISO 4217 currency code such as EUR');

/** Round half up a non-negative integer divided by 100 (exact: no floating-point division). */
const roundHundredths = (n: number): number => (n - (n % 100)) / 100 + (n % 100 >= 50 ? 1 : 0);

/** What hours × rate costs, in minor units (hours in hundredths). */
export const timeCost = (hundredths: number, ratePerHour: number): number => roundHundredths(hundredths * ratePerHour);

/** Hundredths of an hour from `from` to `to` (whole hundredths, floored; capped at the line limit). */
function hoursBetween(from: string, to: number): number {
  const ms = Math.max(0, to - Date.parse(from));
  return Math.min(COST_LIMITS.hours, Math.floor(ms / 36_000));
}

function lineCost(l: StoredLine, now: number): { cost: number; hoursUsed: number | null; running: boolean } {
  switch (l.kind) {
    case 'downtime': {
      const running = l.hours === null && l.to === null;
      const used = l.hours ?? hoursBetween(l.from ?? '', l.to ? Date.parse(l.to) : now);
      return { cost: timeCost(used, l.rate), hoursUsed: used, running };
    }
    case 'effort':
      return { cost: timeCost(l.hours, l.rate), hoursUsed: l.hours, running: false };
    default:
      return { cost: l.amount, hoursUsed: null, running: false };
  }
}

const LINE_KEYS = ['id', 'kind', 'label', 'target', 'assetId', 'category', 'hours', 'from', 'to', 'rate', 'amount', 'assumption'] as const;
const BOOK_KEYS = ['createdAt', 'createdBy', 'updatedAt', 'updatedBy', 'deleted'] as const;

function rawLine(y: YLine): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k of [...LINE_KEYS, ...BOOK_KEYS]) {
    const v = y.get(k);
    if (v !== undefined) o[k] = v;
  }
  if (o['deleted'] === undefined) o['deleted'] = false;
  return o;
}

const strOrNull = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v.slice(0, LIMITS.shortText) : null);

/**
 * Read the cost section: live lines with their cost, a subtotal per kind and the total, all in
 * integer minor units of the incident's currency. Defensive like readMeta: a line that does not
 * parse (an old or hostile client) is left out of the totals and named in `problems`; nothing throws.
 * `now` is the end of running outages (default: the current time).
 */
export function readCost(doc: Y.Doc, opts: { now?: Date } = {}): CostSummary {
  const now = (opts.now ?? new Date()).getTime();
  const problems: string[] = [];
  const settings = settingsOf(doc);
  const rawCurrency = settings.get('currency');
  let currency = DEFAULT_CURRENCY;
  if (typeof rawCurrency === 'string' && currencyDigits(rawCurrency) !== null) currency = rawCurrency;
  else if (rawCurrency !== undefined)
    problems.push(`cost currency ${JSON.stringify(String(rawCurrency).slice(0, 20))} is not a currency code; showing ${DEFAULT_CURRENCY}`);
  const subtotals: Record<CostKind, number> = { downtime: 0, effort: 0, recovery: 0, third_party: 0 };
  const lines: CostLine[] = [];
  const seen = new Set<string>();
  let running = false;
  linesOf(doc).forEach((y: unknown, i: number) => {
    if (!(y instanceof Y.Map)) return void problems.push(`cost line ${i + 1} is not a map and is not counted`);
    const parsed = storedLineSchema.safeParse(rawLine(y as YLine));
    if (!parsed.success) {
      const where = parsed.error.issues[0]?.path.join('.') || 'line';
      return void problems.push(`cost line ${i + 1} is invalid (${where}) and is not counted`);
    }
    const l = parsed.data;
    if (seen.has(l.id)) return void problems.push(`cost line ${i + 1} repeats id ${l.id} and is not counted`);
    seen.add(l.id);
    if (l.deleted) return;
    const c = lineCost(l, now);
    running ||= c.running;
    subtotals[l.kind] += c.cost;
    lines.push({ ...l, ...c });
  });
  const total = COST_KINDS.reduce((sum, k) => sum + subtotals[k], 0);
  return {
    currency,
    lines,
    subtotals,
    total,
    running,
    updatedAt: strOrNull(settings.get('updatedAt')),
    updatedBy: strOrNull(settings.get('updatedBy')),
    problems,
  };
}

function findLine(doc: Y.Doc, id: string): YLine | null {
  for (const y of linesOf(doc)) if (y instanceof Y.Map && y.get('id') === id) return y;
  return null;
}

const issuesText = (e: z.ZodError): string => e.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`).join('; ');

/**
 * Add a line (no `id`, or an id not in the document) or change one (its kind stays): validated
 * whole first, so a refused input writes nothing. Only changed fields are written, so two people
 * editing different fields of a line both keep their edit. Returns the line's id.
 */
export function setCostLine(doc: Y.Doc, input: unknown, actor: string, origin?: unknown): Result<string, string> {
  const parsed = costLineInputSchema.safeParse(input);
  if (!parsed.success) return err(issuesText(parsed.error));
  const { id: givenId, ...fields } = parsed.data;
  const by = actor.slice(0, LIMITS.shortText);
  const at = new Date().toISOString();
  const existing = givenId ? findLine(doc, givenId) : null;
  const id = givenId ?? newId();
  if (existing && existing.get('kind') !== fields.kind) return err(`kind: a ${String(existing.get('kind'))} line stays one (add a new line instead)`);
  if (!existing && linesOf(doc).length >= COST_LIMITS.lines) return err(`at most ${COST_LIMITS.lines} cost lines per incident`);
  const values: Record<string, unknown> = {
    target: null,
    assetId: null,
    category: null,
    hours: null,
    from: null,
    to: null,
    rate: null,
    amount: null,
    ...fields,
  };
  doc.transact(() => {
    let y = existing;
    if (!y) {
      y = new Y.Map<unknown>();
      y.set('id', id);
      y.set('createdAt', at);
      y.set('createdBy', by);
      y.set('deleted', false);
      linesOf(doc).push([y]);
    }
    for (const [k, v] of Object.entries(values)) if (y.get(k) !== v) y.set(k, v);
    y.set('updatedAt', at);
    y.set('updatedBy', by);
    touch(doc, by, at);
  }, origin);
  return ok(id);
}

/** Mark a line deleted (or back, with `deleted: false`); nothing is removed from the document. */
export function removeCostLine(doc: Y.Doc, id: string, actor: string, origin?: unknown, deleted = true): Result<void, string> {
  const y = findLine(doc, id);
  if (!y) return err(`no cost line ${id}`);
  const by = actor.slice(0, LIMITS.shortText);
  const at = new Date().toISOString();
  doc.transact(() => {
    y.set('deleted', deleted);
    y.set('updatedAt', at);
    y.set('updatedBy', by);
    touch(doc, by, at);
  }, origin);
  return ok(undefined);
}

/** Set the incident's currency (amounts keep their numbers: this relabels, it does not convert). */
export function setCostCurrency(doc: Y.Doc, currency: unknown, actor: string, origin?: unknown): Result<void, string> {
  const parsed = currencySchema.safeParse(currency);
  if (!parsed.success) return err(`currency: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const by = actor.slice(0, LIMITS.shortText);
  doc.transact(() => {
    settingsOf(doc).set('currency', parsed.data);
    touch(doc, by, new Date().toISOString());
  }, origin);
  return ok(undefined);
}

function touch(doc: Y.Doc, by: string, at: string): void {
  const s = settingsOf(doc);
  s.set('updatedAt', at);
  s.set('updatedBy', by);
}

/** Call `onChange` after every change to the cost section (local or remote). */
export function observeCost(doc: Y.Doc, onChange: () => void): () => void {
  const handler = (): void => onChange();
  const types = [settingsOf(doc), linesOf(doc)] as const;
  for (const t of types) t.observeDeep(handler);
  return () => {
    for (const t of types) t.unobserveDeep(handler);
  };
}

/**
 * Parse a decimal written by a person ("1234.5", "1,234.50") into integer units of 10^-digits,
 * without floating point; null when it is not a non-negative number with at most `digits` decimals.
 */
export function parseDecimal(text: string, digits: number): number | null {
  const s = text.trim().replace(/[\s,_']/g, '');
  const m = /^(\d+)(?:\.(\d*))?$/.exec(s);
  if (!m) return null;
  const frac = m[2] ?? '';
  if (frac.length > digits) return null;
  const n = Number(m[1] + frac.padEnd(digits, '0'));
  return Number.isSafeInteger(n) ? n : null;
}

/** Minor units as a plain decimal string ("1234.50"), exact. */
export function formatMinor(minor: number, digits: number): string {
  const neg = minor < 0;
  const s = String(Math.abs(minor)).padStart(digits + 1, '0');
  const out = digits === 0 ? s : `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
  return neg ? `-${out}` : out;
}

/** Minor units with the currency's sign and grouping for display ("€1,234.50"); exact. */
export function formatMoney(minor: number, currency: string, locale = 'en'): string {
  const digits = currencyDigits(currency) ?? 2;
  try {
    // A decimal string is formatted exactly (Intl.NumberFormat v3), where a number could round.
    // (TypeScript's ES2022 lib types `format` with numbers only; Node 20 and browsers take strings.)
    const nf = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
    return (nf.format as (value: string) => string)(formatMinor(minor, digits));
  } catch {
    return `${formatMinor(minor, digits)} ${currency}`;
  }
}

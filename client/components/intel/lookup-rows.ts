/**
 * The intel page's lookup, as data: the pasted text split into values (one per line, blank lines
 * and duplicates dropped, at most MAX_BULK_LOOKUP), and the server's or the local copy's answers
 * turned into one row shape the table renders.
 */
import { MAX_BULK_LOOKUP, type IndicatorType } from '../../../shared/intel-api.ts';
import type { LookupResult } from '../../local/intel-api.ts';
import type { LocalLookup } from '../../local/intel-snapshot.ts';

export interface MatchView {
  /** The indicator id (server answers only: opens the detail). */
  id: number | null;
  type: IndicatorType;
  value: string;
  score: number;
  active: boolean;
  sources: string[];
  tags: string[];
  malware: string[];
  techniques: string[];
}

export interface LookupRow {
  value: string;
  type: IndicatorType | null;
  canonical: string | null;
  matches: MatchView[];
}

export type ParsedInput = { ok: true; values: string[] } | { ok: false; message: string };

export function parseLookupInput(text: string): ParsedInput {
  const values = [
    ...new Set(
      text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== ''),
    ),
  ];
  if (values.length === 0) return { ok: false, message: 'Paste at least one value (one per line).' };
  if (values.length > MAX_BULK_LOOKUP)
    return { ok: false, message: `At most ${MAX_BULK_LOOKUP.toLocaleString('en')} values at once (${values.length.toLocaleString('en')} pasted).` };
  const long = values.find((v) => v.length > 2_048);
  if (long !== undefined) return { ok: false, message: `A value is longer than 2,048 characters: ${long.slice(0, 40)}…` };
  return { ok: true, values };
}

export function rowsFromServer(items: readonly LookupResult[]): LookupRow[] {
  return items.map((r) => ({
    value: r.value,
    type: r.type,
    canonical: r.canonical,
    matches: r.matches.map((m) => ({
      id: m.id,
      type: m.type,
      value: m.value,
      score: m.score,
      active: m.active,
      sources: m.source_names,
      tags: m.tags,
      malware: m.malware,
      techniques: m.techniques,
    })),
  }));
}

/** Local copy rows are active high-confidence indicators without their sources. */
export function rowsFromLocal(items: readonly LocalLookup[]): LookupRow[] {
  return items.map((r) => ({
    value: r.value,
    type: r.type,
    canonical: r.canonical,
    matches: r.matches.map((m) => ({
      id: null,
      type: m.type,
      value: m.value,
      score: m.score,
      active: true,
      sources: [],
      tags: [],
      malware: [],
      techniques: [],
    })),
  }));
}

export function summarize(rows: readonly LookupRow[]): { values: number; matched: number; notIndicators: number } {
  return {
    values: rows.length,
    matched: rows.filter((r) => r.matches.length > 0).length,
    notIndicators: rows.filter((r) => r.type === null).length,
  };
}

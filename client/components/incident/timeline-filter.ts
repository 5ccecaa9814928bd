/**
 * The timeline's filter bar, kept in the incident page's URL (a link shows the same slice of the
 * record; reload and back keep it): kind, author, text search and "hide automation". Parsed with
 * zod like the list's search (a bad value falls back to "everything", never an error), and the
 * pure match over an entry's stored fields, so a 10,000-entry timeline is filtered on the device
 * (offline too) without reading and validating each entry whole.
 */
import { z } from 'zod';
import { TIMELINE_KINDS, type TimelineKind } from '../../../shared/incident-schema.ts';

export interface TimelineFilter {
  kind: TimelineKind | '';
  author: string;
  q: string;
  /** Hide automation (playbook runs and other machine-written automation entries). */
  auto: boolean;
}

export const NO_TIMELINE_FILTER: TimelineFilter = { kind: '', author: '', q: '', auto: true };

const schema = z.object({
  kind: z
    .enum([...TIMELINE_KINDS, ''])
    .catch('')
    .default(''),
  author: z.string().max(200).catch('').default(''),
  q: z.string().max(200).catch('').default(''),
  auto: z
    .string()
    .optional()
    .transform((v) => v !== 'hide')
    .catch(true),
});

/** The filter's params in the URL (`tl_` prefixed: the page may grow other params). */
export interface TimelineSearch {
  tl_kind?: string;
  tl_author?: string;
  tl_q?: string;
  tl_auto?: string;
}

export function parseTimelineSearch(raw: Record<string, unknown>): TimelineSearch {
  const f = schema.parse({ kind: str(raw['tl_kind']), author: str(raw['tl_author']), q: str(raw['tl_q']), auto: str(raw['tl_auto']) });
  return toTimelineSearch(f);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

export function timelineFilterOf(search: TimelineSearch): TimelineFilter {
  return schema.parse({ kind: search.tl_kind, author: search.tl_author, q: search.tl_q, auto: search.tl_auto });
}

/** Only what differs from "everything" goes into the URL. */
export function toTimelineSearch(f: TimelineFilter): TimelineSearch {
  return {
    ...(f.kind ? { tl_kind: f.kind } : {}),
    ...(f.author.trim() ? { tl_author: f.author.trim() } : {}),
    ...(f.q.trim() ? { tl_q: f.q.trim() } : {}),
    ...(!f.auto ? { tl_auto: 'hide' } : {}),
  };
}

export const isFiltering = (f: TimelineFilter): boolean => f.kind !== '' || f.author.trim() !== '' || f.q.trim() !== '' || !f.auto;

/** What the match reads of an entry: its stored kind, author and text. */
export interface FilterableEntry {
  kind: string;
  author: string;
  /** The text, read only when a search needs it. */
  text(): string;
}

const fold = (s: string): string => s.toLocaleLowerCase();

/** A matcher for the filter (built once per filter, used per entry). */
export function timelineMatcher(f: TimelineFilter): (e: FilterableEntry) => boolean {
  const author = fold(f.author.trim());
  const words = fold(f.q.trim()).split(/\s+/).filter(Boolean);
  return (e) => {
    if (f.kind && e.kind !== f.kind) return false;
    if (!f.auto && e.kind === 'automation') return false;
    if (author && !fold(e.author).includes(author)) return false;
    if (words.length > 0) {
      const hay = fold(`${e.text()} ${e.author}`);
      if (!words.every((w) => hay.includes(w))) return false;
    }
    return true;
  };
}

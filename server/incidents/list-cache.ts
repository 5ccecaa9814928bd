/**
 * Pages of the incident list, cached in this process until the incident rows change.
 *
 * Dashboards, SIEM pollers and every analyst's list view ask for the same few pages over and
 * over, and each uncached page costs about 2.5 ms of CPU between Node and Postgres (50 rows,
 * counts per status). An entry is the page's JSON text, stamped with the generation it was read
 * at; the generation moves on
 * - at once, when this process's projector writes incident rows (`bump`), so a write is visible
 *   to the very next read here, and
 * - when Postgres announces `incidents_changed` (migration 005: a statement trigger on the table),
 *   which covers every other process sharing the database, and on every (re)connection of that
 *   LISTEN, since notifications sent while it was down are lost.
 * A read stamps its entry with the generation seen before it queried, so a page read while a
 * write commits is dropped when that write's notification arrives.
 *
 * The SLA clocks in a page move with time, so a page is served for at most `freshMs` (1 s by
 * default, config LIST_CACHE_MS; 0 turns the cache off) and then read again.
 */
import type { Sql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';

const INCIDENTS_CHANGED_CHANNEL = 'incidents_changed';

export interface ListCache {
  /** The page for `key`, or the result of `load` (then kept, unless the rows changed meanwhile). */
  get(key: string, load: () => Promise<string>): Promise<string>;
  /** Incident rows changed: forget every page. */
  bump(): void;
  /** LISTEN for other processes' changes; until then only `bump` invalidates. */
  start(): Promise<void>;
  close(): Promise<void>;
}

interface Entry {
  text: string;
  generation: number;
  at: number;
}

export interface ListCacheOptions {
  maxEntries?: number;
  freshMs?: number;
  now?: () => number;
}

export function createListCache(sql: Sql, logger: Logger, opts: ListCacheOptions = {}): ListCache {
  const maxEntries = opts.maxEntries ?? 256;
  const freshMs = opts.freshMs ?? 1_000;
  const now = opts.now ?? (() => performance.now());
  const entries = new Map<string, Entry>();
  let generation = 0;
  let unlisten: (() => Promise<void>) | null = null;

  function bump(): void {
    generation++;
    entries.clear();
  }

  return {
    async get(key, load) {
      if (freshMs === 0) return load();
      const hit = entries.get(key);
      if (hit && hit.generation === generation && now() - hit.at < freshMs) return hit.text;
      const seen = generation;
      const at = now();
      const text = await load();
      if (seen === generation) {
        entries.delete(key);
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(key, { text, generation: seen, at });
      }
      return text;
    },
    bump,
    async start() {
      const sub = await sql.listen(INCIDENTS_CHANGED_CHANNEL, bump, () => {
        // (Re)connected: whatever was announced while the connection was down is unknown.
        bump();
        logger.debug('listening for incident row changes');
      });
      unlisten = () => sub.unlisten();
    },
    async close() {
      await unlisten?.().catch(() => {});
      unlisten = null;
      entries.clear();
    },
  };
}

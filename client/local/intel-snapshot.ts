/**
 * The device's offline copy of high-confidence threat-intel indicators (issue 6 "Offline"):
 * GET /api/v1/indicators/snapshot stored in the Dexie table `indicators` (rows {type, value,
 * score}, key [type+value]) plus a kv record with when the server made it and how many rows it
 * holds. A refresh replaces the copy whole in one transaction (a failed refresh leaves the old
 * copy), capped at the server's limit. It runs at start when the copy is missing or older than
 * the refresh interval (6 h), on that interval while the app is open, when the network returns,
 * and on demand. Lookups detect the type and canonical value on the device with the server's own
 * normalizer (shared/indicator-normalize.ts) and match exactly, IP addresses and ranges also
 * inside stored CIDR ranges, URLs also by their host as a domain (the server's lookup rules,
 * offline-lookup-parity.pg.test.ts). Never-public addresses (shared/intel-values.ts) are neither
 * kept nor matched.
 */
import type { IndicatorType } from '../../shared/intel-api.ts';
import type { Result } from '../../shared/result.ts';
import type { SentpilotDb } from './db.ts';
import type { ApiFailure } from './http-json.ts';
import type { Snapshot } from './intel-api.ts';
import { isNonPublicIndicator } from '../../shared/intel-values.ts';
import { detect, parseRange, rangeContains, type Range } from '../../shared/indicator-normalize.ts';
import { createObservable, type ReadonlyObservable } from './observable.ts';

export const SNAPSHOT_REFRESH_MS = 6 * 3_600_000;
/** The most rows the server sends (shared snapshotQuery's limit); more is cut off. */
const SNAPSHOT_CAP = 200_000;
const INFO_KEY = 'intelSnapshot';
/** How often the timer checks whether the copy is due (cheap; catches up after a sleep). */
const CHECK_MS = 10 * 60_000;

interface SnapshotRow {
  type: IndicatorType;
  value: string;
  score: number;
}

export interface SnapshotInfo {
  /** When the server made the copy (the age shown to the analyst). */
  generatedAt: string;
  /** When this device stored it. */
  refreshedAt: string;
  count: number;
  /** True when the server sent more than the cap. */
  truncated: boolean;
}

interface SnapshotState {
  info: SnapshotInfo | null;
  refreshing: boolean;
  /** The last refresh failure (kept until a refresh succeeds). */
  error: string | null;
}

export interface LocalLookup {
  value: string;
  type: IndicatorType | null;
  canonical: string | null;
  matches: SnapshotRow[];
}

export interface IntelSnapshot {
  state: ReadonlyObservable<SnapshotState>;
  /** Read the stored copy's record (also fills `state` at start). */
  info(): Promise<SnapshotInfo | null>;
  /** Fetch and replace the copy now (skipped while another refresh runs). */
  refresh(): Promise<Result<SnapshotInfo, ApiFailure>>;
  lookup(values: readonly string[]): Promise<LocalLookup[]>;
  /** Refresh when due, then keep checking; `events` gets an 'online' listener. */
  start(): void;
  stop(): void;
}

function table(db: SentpilotDb) {
  return db.table<SnapshotRow, [string, string]>('indicators');
}

function isInfo(v: unknown): v is SnapshotInfo {
  return typeof v === 'object' && v !== null && typeof (v as SnapshotInfo).generatedAt === 'string' && typeof (v as SnapshotInfo).count === 'number';
}

export function createIntelSnapshot(deps: {
  db: SentpilotDb;
  fetchSnapshot(): Promise<Result<Snapshot, ApiFailure>>;
  isOnline(): boolean;
  events?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
  now?(): number;
  refreshEveryMs?: number;
  cap?: number;
  onError?(error: unknown): void;
}): IntelSnapshot {
  const now = deps.now ?? Date.now;
  const every = deps.refreshEveryMs ?? SNAPSHOT_REFRESH_MS;
  const cap = deps.cap ?? SNAPSHOT_CAP;
  const state = createObservable<SnapshotState>({ info: null, refreshing: false, error: null });
  let ranges: Promise<{ range: Range; row: SnapshotRow }[]> | null = null;
  let running: Promise<Result<SnapshotInfo, ApiFailure>> | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;

  async function info(): Promise<SnapshotInfo | null> {
    const rec = await deps.db.kv.get(INFO_KEY);
    const value = isInfo(rec?.value) ? rec.value : null;
    state.update({ info: value });
    return value;
  }

  async function replace(snapshot: Snapshot): Promise<SnapshotInfo> {
    // Never-public ranges are never kept, whatever a server sends (the server leaves them out too).
    const rows: SnapshotRow[] = snapshot.items
      .slice(0, cap)
      .filter(([type, value]) => !isNonPublicIndicator(type, value))
      .map(([type, value, score]) => ({ type, value, score }));
    const next: SnapshotInfo = {
      generatedAt: snapshot.generated_at,
      refreshedAt: new Date(now()).toISOString(),
      count: rows.length,
      truncated: snapshot.items.length > cap,
    };
    await deps.db.transaction('rw', [table(deps.db), deps.db.kv], async () => {
      await table(deps.db).clear();
      await table(deps.db).bulkPut(rows);
      await deps.db.kv.put({ key: INFO_KEY, value: next });
    });
    ranges = null;
    return next;
  }

  function refresh(): Promise<Result<SnapshotInfo, ApiFailure>> {
    running ??= (async () => {
      state.update({ refreshing: true });
      try {
        const res = await deps.fetchSnapshot();
        if (!res.ok) {
          state.update({ error: res.error.message });
          return res;
        }
        const next = await replace(res.value);
        state.update({ info: next, error: null });
        return { ok: true as const, value: next };
      } finally {
        state.update({ refreshing: false });
        running = null;
      }
    })();
    return running;
  }

  function cidrRows(): Promise<{ range: Range; row: SnapshotRow }[]> {
    ranges ??= table(deps.db)
      .where('[type+value]')
      .between(['cidr', ''], ['cidr', '\uffff'])
      .toArray()
      .then((rows) =>
        rows.flatMap((row) => {
          const range = parseRange(row.value);
          return range ? [{ range, row }] : [];
        }),
      );
    return ranges;
  }

  async function lookup(values: readonly string[]): Promise<LocalLookup[]> {
    const detected = values.map((v) => ({ value: v, d: detect(v) }));
    const exact = await table(deps.db).bulkGet(detected.map(({ d }) => (d ? [d.type, d.value] : ['', ''])));
    // A URL also matches its host as a domain indicator (as the server's lookup does).
    const hosts = await table(deps.db).bulkGet(detected.map(({ d }) => (d?.type === 'url' ? ['domain', urlHost(d.value)] : ['', ''])));
    const needRanges = detected.some(({ d }) => d && (d.type === 'ipv4' || d.type === 'ipv6' || d.type === 'cidr'));
    const cidrs = needRanges ? await cidrRows() : [];
    return detected.map(({ value, d }, i) => {
      if (!d) return { value, type: null, canonical: null, matches: [] };
      // A private, reserved or documentation address is nobody's indicator (as on the server).
      if (isNonPublicIndicator(d.type, d.value)) return { value, type: d.type, canonical: d.value, matches: [] };
      const matches: SnapshotRow[] = [];
      const hit = exact[i];
      if (hit) matches.push(hit);
      const host = hosts[i];
      if (host) matches.push(host);
      if (d.type === 'ipv4' || d.type === 'ipv6' || d.type === 'cidr') {
        const inner = parseRange(d.value);
        for (const c of cidrs) if (inner && c.row.value !== d.value && rangeContains(c.range, inner)) matches.push(c.row);
      }
      return { value, type: d.type, canonical: d.value, matches: matches.sort((a, b) => b.score - a.score) };
    });
  }

  /** The host of a canonical URL when it is a name (an IP host is not a domain indicator). */
  function urlHost(url: string): string {
    const h = new URL(url).hostname;
    return h.startsWith('[') || /^\d+(\.\d+){3}$/.test(h) ? '' : h;
  }

  async function refreshIfDue(): Promise<void> {
    if (!deps.isOnline()) return;
    const current = state.get().info ?? (await info());
    if (current && now() - Date.parse(current.refreshedAt) < every) return;
    const res = await refresh();
    if (!res.ok && deps.onError) deps.onError(new Error(res.error.message));
  }
  const due = (): void => void refreshIfDue().catch((e: unknown) => deps.onError?.(e));

  return {
    state,
    info,
    refresh,
    lookup,
    start() {
      if (timer !== undefined) return;
      due();
      timer = setInterval(due, Math.min(CHECK_MS, every));
      deps.events?.addEventListener('online', due);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
      deps.events?.removeEventListener('online', due);
    },
  };
}

/** "3 h", "2 days": how old the copy is. */
function ageText(ms: number): string {
  const min = Math.max(0, Math.round(ms / 60_000));
  if (min < 1) return 'less than a minute';
  if (min < 60) return `${min} min`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} days`;
}

/** The marking shown on every offline answer: what the copy is and how old. */
export function localCopyLabel(info: SnapshotInfo | null, nowMs: number): { text: string; stale: boolean } {
  if (!info) return { text: 'No local copy of the threat intel on this device yet.', stale: true };
  const age = nowMs - Date.parse(info.generatedAt);
  return {
    text: `Local copy from ${ageText(age)} ago, high-confidence indicators only (${info.count.toLocaleString('en')} indicators${info.truncated ? ', cut at the size cap' : ''}).`,
    stale: age > 2 * SNAPSHOT_REFRESH_MS,
  };
}

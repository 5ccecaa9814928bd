/**
 * The last page of alerts seen online, kept in the device's `kv` table so the alerts view reads
 * offline (with "as of <time>"), and alerts opened in detail, for the same reason.
 */
import { z } from 'zod';
import type { SentpilotDb } from './db.ts';
import { alertSchema, type AlertItem } from './incident-api.ts';

const PAGE_KEY = 'alerts:last-page';
const detailKey = (id: string): string => `alerts:detail:${id}`;

const cachedPage = z.object({ at: z.string(), filterKey: z.string(), items: z.array(alertSchema), next: z.string().nullable() });
export type CachedAlertPage = z.infer<typeof cachedPage>;
const cachedDetail = z.object({ at: z.string(), alert: alertSchema });

export async function saveAlertPage(db: SentpilotDb, page: CachedAlertPage): Promise<void> {
  await db.kv.put({ key: PAGE_KEY, value: page });
}

/** The cached page, or null (none yet, or unreadable). */
export async function loadAlertPage(db: SentpilotDb): Promise<CachedAlertPage | null> {
  const row = await db.kv.get(PAGE_KEY);
  const parsed = cachedPage.safeParse(row?.value);
  return parsed.success ? parsed.data : null;
}

export async function saveAlertDetail(db: SentpilotDb, alert: AlertItem, at: string): Promise<void> {
  await db.kv.put({ key: detailKey(alert.id), value: { at, alert } });
}

export async function loadAlertDetail(db: SentpilotDb, id: string): Promise<{ at: string; alert: AlertItem } | null> {
  const row = await db.kv.get(detailKey(id));
  const parsed = cachedDetail.safeParse(row?.value);
  if (parsed.success) return parsed.data;
  // Not opened before: the list page may still hold it.
  const page = await loadAlertPage(db);
  const alert = page?.items.find((a) => a.id === id);
  return page && alert ? { at: page.at, alert } : null;
}

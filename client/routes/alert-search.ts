/** The alerts view's filters as they live in the URL (`/alerts?source=…&status=…`). */
export interface AlertSearch {
  source: string;
  status: string;
  incident: string;
  /** Page cursor (the previous page's `next_before`); empty for the first page. */
  before: string;
}

const str = (v: unknown, max = 200): string => (typeof v === 'string' ? v.slice(0, max) : '');

export function parseAlertSearch(raw: Record<string, unknown>): AlertSearch {
  return { source: str(raw['source']), status: str(raw['status']), incident: str(raw['incident']), before: str(raw['before'], 100) };
}

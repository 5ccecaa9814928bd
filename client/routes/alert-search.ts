/** The alerts view's filters as they live in the URL (`/alerts?source=…&status=…`). */
export interface AlertSearch {
  source: string;
  status: string;
  incident: string;
  cursor: string;
  offset: number;
}

const str = (v: unknown, max = 200): string => (typeof v === 'string' ? v.slice(0, max) : '');

export function parseAlertSearch(raw: Record<string, unknown>): AlertSearch {
  const offset = Number(raw['offset']);
  return { source: str(raw['source']), status: str(raw['status']), incident: str(raw['incident']), cursor: str(raw['cursor'], 500), offset: Number.isInteger(offset) && offset > 0 ? offset : 0 };
}

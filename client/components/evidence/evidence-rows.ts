/**
 * What the evidence panel lists: this device's captures, then the server's items. A capture the
 * server verified shows once (as the server's item, once the list has it); every other capture
 * shows with its local state, so nothing captured is hidden. The two lists are built apart so
 * upload progress does not rebuild (and close the open panels of) the server's rows. Plus the
 * labels (state, size, short hash) the rows print.
 */
import type { EvidenceItem, EvidenceType } from '../../../shared/evidence-api.ts';
import type { EvidenceUploadError, EvidenceUploadRecord, EvidenceUploadState } from '../../local/evidence-outbox.ts';

export interface EvidenceRow {
  /** Server evidence id, or the local capture id. */
  key: string;
  type: EvidenceType;
  fileName: string;
  description: string;
  tags: readonly string[];
  size: number;
  sha256: string | null;
  collectedBy: string | null;
  collectedAt: string;
  collectedWhere: string;
  sourceHost: string | null;
  state: EvidenceUploadState;
  /** 0–100 while capturing or uploading. */
  percent: number;
  error: EvidenceUploadError | null;
  /** The server's item (download, custody) once there is one. */
  item: EvidenceItem | null;
  /** The local capture (retry, remove) while there is one not yet verified. */
  localId: string | null;
}

const percent = (done: number, total: number): number => (total <= 0 ? 100 : Math.min(100, Math.floor((done / total) * 100)));

function fromItem(item: EvidenceItem): EvidenceRow {
  return {
    key: item.id,
    type: item.type,
    fileName: item.file_name,
    description: item.description,
    tags: item.tags,
    size: item.size,
    sha256: item.sha256,
    collectedBy: item.collected_by,
    collectedAt: item.collected_at,
    collectedWhere: item.collected_where,
    sourceHost: item.source_host,
    state: 'verified',
    percent: 100,
    error: null,
    item,
    localId: null,
  };
}

function fromRecord(rec: EvidenceUploadRecord): EvidenceRow {
  return {
    key: rec.id,
    type: rec.meta.type,
    fileName: rec.meta.file_name,
    description: rec.meta.description,
    tags: rec.meta.tags,
    size: rec.size,
    sha256: rec.sha256,
    collectedBy: rec.meta.collected_by ?? null,
    collectedAt: rec.meta.collected_at,
    collectedWhere: rec.meta.collected_where,
    sourceHost: rec.meta.source_host,
    state: rec.state,
    percent: rec.state === 'capturing' ? percent(rec.captured, rec.size) : percent(rec.offset, rec.size),
    error: rec.error,
    item: null,
    localId: rec.state === 'verified' ? null : rec.id,
  };
}

/** This device's captures the server does not list yet (a verified one until the list has it). */
export function localRows(serverItems: readonly EvidenceItem[], local: readonly EvidenceUploadRecord[]): EvidenceRow[] {
  const onServer = new Set(serverItems.map((i) => i.id));
  return local.filter((r) => !(r.evidenceId && onServer.has(r.evidenceId))).map(fromRecord);
}

/** The server's items, newest first, without deleted ones. */
export function serverRows(serverItems: readonly EvidenceItem[]): EvidenceRow[] {
  return serverItems
    .filter((i) => i.deleted_at === null)
    .map(fromItem)
    .sort((a, b) => (b.item?.uploaded_at ?? '').localeCompare(a.item?.uploaded_at ?? ''));
}

export function stateLabel(row: Pick<EvidenceRow, 'state' | 'percent'>): string {
  switch (row.state) {
    case 'capturing':
      return `saving on this device ${row.percent}%`;
    case 'waiting':
      return 'waiting';
    case 'uploading':
      return `uploading ${row.percent}%`;
    case 'stored':
      return 'stored';
    case 'verified':
      return 'verified';
    case 'failed':
      return 'not uploaded';
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[u] ?? 'TB'}`;
}

export const shortHash = (sha256: string): string => `${sha256.slice(0, 12)}…`;

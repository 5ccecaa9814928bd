import { describe, expect, it } from 'vitest';
import type { EvidenceItem } from '../../../shared/evidence-api.ts';
import type { EvidenceUploadRecord } from '../../local/evidence-outbox.ts';
import { formatBytes, localRows, serverRows, stateLabel } from './evidence-rows.ts';

const item = (id: string, over: Partial<EvidenceItem> = {}): EvidenceItem => ({
  id,
  incident_id: '00000000-0000-7000-8000-000000000001',
  type: 'log',
  file_name: `${id}.log`,
  description: '',
  tags: [],
  collected_by: 'alice',
  collected_at: '2026-11-20T10:00:00Z',
  collected_where: '',
  source_host: null,
  uploaded_by: 'alice',
  uploaded_at: '2026-11-21T10:00:00Z',
  size: 10,
  sha256: 'a'.repeat(64),
  md5: '',
  sha1: '',
  linked_entries: [],
  timeline_entry_id: null,
  retention_until: null,
  deleted_at: null,
  ...over,
});

const record = (id: string, over: Partial<EvidenceUploadRecord> = {}): EvidenceUploadRecord => ({
  id,
  attempt: 0,
  incidentId: '00000000-0000-7000-8000-000000000001',
  state: 'waiting',
  createdAt: '2026-11-22T10:00:00Z',
  meta: {
    type: 'screenshot',
    file_name: 'shot.png',
    description: '',
    tags: [],
    collected_at: '2026-11-22T09:00:00Z',
    collected_where: '',
    source_host: null,
    linked_entries: [],
  },
  size: 200,
  sha256: 'b'.repeat(64),
  chunkSize: 100,
  captured: 200,
  touchedAt: 0,
  serverUploadId: null,
  offset: 50,
  evidenceId: null,
  error: null,
  ...over,
});

describe('evidence rows', () => {
  it('shows a verified capture once, as the server item, when the list has it', () => {
    const server = [item('e1')];
    const local = [record('r1', { state: 'verified', evidenceId: 'e1' })];
    expect([...localRows(server, local), ...serverRows(server)].map((r) => [r.key, r.state])).toEqual([['e1', 'verified']]);
  });

  it('keeps every capture the server does not list yet, failed ones included; server items newest first', () => {
    const server = [item('old', { uploaded_at: '2026-11-01T00:00:00Z' }), item('new')];
    const rows = localRows(server, [
      record('r1', { state: 'uploading' }),
      record('r2', { state: 'failed' }),
      record('r3', { state: 'verified', evidenceId: 'not-listed-yet' }),
    ]);
    expect(rows.map((r) => r.key)).toEqual(['r1', 'r2', 'r3']);
    expect(serverRows(server).map((r) => r.key)).toEqual(['new', 'old']);
    expect(rows[0]).toMatchObject({ percent: 25, localId: 'r1' });
    expect(rows[2]?.localId).toBeNull();
  });

  it('hides deleted items', () => {
    expect(serverRows([item('gone', { deleted_at: '2026-11-21T00:00:00Z' })])).toEqual([]);
  });

  it('labels the states the device shows', () => {
    expect(stateLabel({ state: 'waiting', percent: 0 })).toBe('waiting');
    expect(stateLabel({ state: 'uploading', percent: 42 })).toBe('uploading 42%');
    expect(stateLabel({ state: 'stored', percent: 100 })).toBe('stored');
    expect(stateLabel({ state: 'verified', percent: 100 })).toBe('verified');
  });

  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2.0 GB');
  });
});

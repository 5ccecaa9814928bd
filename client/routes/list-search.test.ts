// @vitest-environment node
import { describe, expect, it } from 'vitest';
import type { IncidentSummary } from '../local/incident-summary.ts';
import { DEFAULT_LIST_SEARCH, filterIncidents, parseListSearch, toUrlSearch, type ListSearch } from './list-search.ts';

let n = 0;
function makeRow(over: Partial<IncidentSummary> = {}): IncidentSummary {
  n++;
  const t = new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString();
  return {
    id: `0190d6a0-0000-7000-8000-${String(n).padStart(12, '0')}`,
    key: null,
    title: `Incident ${n}`,
    status: 'new',
    severity: 'S3',
    priority: 'P3',
    category: 'unclassified',
    tlp: 'amber',
    assignee: null,
    reporter: null,
    tags: [],
    assets: [],
    createdAt: t,
    createdBy: 'alice',
    updatedAt: t,
    timelineCount: 1,
    openTasks: 0,
    totalTasks: 0,
    problemCount: 0,
    ...over,
  };
}
const search = (over: Partial<ListSearch> = {}): ListSearch => ({ ...DEFAULT_LIST_SEARCH, ...over });

describe('list search params', () => {
  it('falls back to defaults for junk and keeps what is valid', () => {
    expect(parseListSearch({ status: 'bogus', severity: 'S1,S9,S2', category: 'martian', q: 'vpn', sort: 'nope', order: 'asc' })).toEqual({
      status: 'open',
      severity: ['S1', 'S2'],
      category: '',
      q: 'vpn',
      sort: 'updated',
      order: 'asc',
      mine: false,
    });
    expect(parseListSearch({})).toEqual(DEFAULT_LIST_SEARCH);
  });

  it('keeps "Assigned to me" in the URL and matches the assignee against the signed-in name', () => {
    expect(parseListSearch({ assigned: 'me' }).mine).toBe(true);
    expect(parseListSearch({ assigned: 'junk' }).mine).toBe(false);
    expect(toUrlSearch({ ...DEFAULT_LIST_SEARCH, mine: true })).toEqual({ assigned: 'me' });
  });

  it('writes only non-default values to the URL and reads them back', () => {
    const s = search({ status: 'containment', severity: ['S1'], category: 'ransomware', q: 'fs01', sort: 'severity' });
    expect(toUrlSearch(DEFAULT_LIST_SEARCH)).toEqual({});
    expect(parseListSearch(toUrlSearch(s))).toEqual(s);
  });
});

describe('filtering the local index', () => {
  const rows = [
    makeRow({ title: 'Ransomware on FS01', severity: 'S1', status: 'containment', key: 'IR-2026-0002', tags: ['finance'], category: 'ransomware' }),
    makeRow({ title: 'Phishing wave', severity: 'S2', status: 'new', key: 'IR-2026-0010', category: 'phishing' }),
    makeRow({ title: 'Old lost laptop', severity: 'S4', status: 'closed', key: 'IR-2025-0999' }),
    makeRow({ title: 'Made offline', severity: 'S2', status: 'triage', key: null }),
  ];

  it('shows open incidents by default and counts every status tab', () => {
    const { rows: shown, counts } = filterIncidents(rows, search());
    expect(shown.map((r) => r.title)).toEqual(['Made offline', 'Phishing wave', 'Ransomware on FS01']);
    expect(counts).toMatchObject({ open: 3, all: 4, closed: 1, new: 1, triage: 1, containment: 1, eradication: 0 });
  });

  it('"Assigned to me" keeps only the rows assigned to the signed-in name, and counts within it', () => {
    const mine = [...rows, makeRow({ title: 'Mine', status: 'triage', assignee: 'Cleo' }), makeRow({ title: 'Theirs', status: 'new', assignee: 'Lars' })];
    const { rows: shown, counts } = filterIncidents(mine, search({ mine: true }), 'Cleo');
    expect(shown.map((r) => r.title)).toEqual(['Mine']);
    expect(counts).toMatchObject({ open: 1, all: 1 });
    expect(filterIncidents(mine, search({ mine: true }), null).rows).toEqual([]);
  });

  it('filters by status and severity, and counts over the other filters', () => {
    const { rows: shown, counts } = filterIncidents(rows, search({ status: 'all', severity: ['S2'] }));
    expect(shown.map((r) => r.title).sort()).toEqual(['Made offline', 'Phishing wave']);
    expect(counts).toMatchObject({ all: 2, open: 2, closed: 0 });
  });

  it('filters by category, and counts the status tabs within it', () => {
    const { rows: shown, counts } = filterIncidents(rows, search({ category: 'phishing' }));
    expect(shown.map((r) => r.title)).toEqual(['Phishing wave']);
    expect(counts).toMatchObject({ all: 1, open: 1, new: 1, containment: 0 });
  });

  it('searches title, key and tags, case-insensitively', () => {
    expect(filterIncidents(rows, search({ status: 'all', q: 'PHISH' })).rows.map((r) => r.title)).toEqual(['Phishing wave']);
    expect(filterIncidents(rows, search({ status: 'all', q: 'ir-2025' })).rows.map((r) => r.title)).toEqual(['Old lost laptop']);
    expect(filterIncidents(rows, search({ status: 'all', q: 'finance' })).rows.map((r) => r.title)).toEqual(['Ransomware on FS01']);
  });

  it('sorts by severity most severe first, by key in number order with pending keys last', () => {
    expect(filterIncidents(rows, search({ status: 'all', sort: 'severity' })).rows.map((r) => r.severity)).toEqual(['S1', 'S2', 'S2', 'S4']);
    expect(filterIncidents(rows, search({ status: 'all', sort: 'key', order: 'asc' })).rows.map((r) => r.key)).toEqual([
      'IR-2025-0999',
      'IR-2026-0002',
      'IR-2026-0010',
      null,
    ]);
    expect(filterIncidents(rows, search({ status: 'all', sort: 'key', order: 'desc' })).rows.map((r) => r.key)).toEqual([
      'IR-2026-0010',
      'IR-2026-0002',
      'IR-2025-0999',
      null,
    ]);
  });
});

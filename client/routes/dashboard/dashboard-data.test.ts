/**
 * The dashboard's figures against a seeded set of incidents. Every expected number below was
 * worked out by hand from the seed (see the comments), never by calling the code under test.
 */
import { describe, expect, it } from 'vitest';
import type { IncidentSummary } from '../../local/incident-summary.ts';
import { bucketKeys, bucketStart, computeDashboard, csvCell, toCsv } from './dashboard-data.ts';

type Seed = Partial<IncidentSummary> & Pick<IncidentSummary, 'id' | 'createdAt' | 'category' | 'severity'>;
const item = (id: string, status: 'open' | 'in_progress' | 'done' | 'dropped', due: string | null) => ({
  id: `00000000-0000-4000-8000-${id.padStart(12, '0')}`,
  title: `item ${id}`,
  owner: null,
  due,
  status,
});

function row(s: Seed): IncidentSummary {
  return {
    key: `IR-${s.id}`,
    title: `incident ${s.id}`,
    status: 'recovery',
    priority: 'P3',
    tlp: 'green',
    assignee: null,
    reporter: null,
    tags: [],
    assets: [],
    createdBy: 'seed',
    updatedAt: s.createdAt,
    timelineCount: 0,
    openTasks: 0,
    totalTasks: 0,
    problemCount: 0,
    resolvedAt: null,
    occurredAt: null,
    detectedAt: null,
    closedAt: null,
    observables: [],
    actionItems: [],
    ...s,
  };
}

// Range: three UTC weeks starting Mondays 2026-11-02, -09, -16; `to` (2026-11-23) is excluded.
const FROM = Date.parse('2026-11-02T00:00:00Z');
const TO = Date.parse('2026-11-23T00:00:00Z');
const NOW = Date.parse('2026-11-25T00:00:00Z');

const SEED: IncidentSummary[] = [
  // week 1: A: occurred 08:00, detected 09:00 (60 min); resolved 13:00 (240 min after detection); S3 window 3 d: kept.
  row({
    id: 'A',
    createdAt: '2026-11-02T10:00:00Z',
    category: 'phishing',
    severity: 'S3',
    occurredAt: '2026-11-02T08:00:00Z',
    detectedAt: '2026-11-02T09:00:00Z',
    resolvedAt: '2026-11-02T13:00:00Z',
    assets: ['mail-1'],
    observables: ['email:a@x.example', 'domain:x.example'],
    actionItems: [item('1', 'open', '2026-11-20'), item('2', 'done', '2026-11-01')],
  }),
  // week 1: MTTD 60, MTTR 360; S1 window 4 h, resolved 6 h after creation: a breach.
  row({
    id: 'B',
    createdAt: '2026-11-04T00:00:00Z',
    category: 'malware',
    severity: 'S1',
    occurredAt: '2026-11-03T23:00:00Z',
    detectedAt: '2026-11-04T00:00:00Z',
    resolvedAt: '2026-11-04T06:00:00Z',
    assets: ['mail-1', 'ws-7', 'ws-7'],
    observables: ['domain:x.example'],
  }),
  // week 2: still in triage 14.5 days later, S2 window 1 d: a breach; no times for MTTD/MTTR.
  row({
    id: 'C',
    createdAt: '2026-11-10T12:00:00Z',
    category: 'phishing',
    severity: 'S2',
    status: 'triage',
    assets: ['ws-7'],
    actionItems: [item('3', 'open', null), item('4', 'in_progress', '2026-12-01'), item('5', 'dropped', '2026-11-01')],
  }),
  // week 2: MTTD 1440, MTTR 720 (12 h < S2's 24 h: kept).
  row({
    id: 'D',
    createdAt: '2026-11-11T00:00:00Z',
    category: 'malware',
    severity: 'S2',
    occurredAt: '2026-11-10T00:00:00Z',
    detectedAt: '2026-11-11T00:00:00Z',
    resolvedAt: '2026-11-11T12:00:00Z',
  }),
  // week 2: MTTD 120, MTTR 120.
  row({
    id: 'E',
    createdAt: '2026-11-15T23:59:00Z',
    category: 'phishing',
    severity: 'S4',
    occurredAt: '2026-11-15T21:59:00Z',
    detectedAt: '2026-11-15T23:59:00Z',
    resolvedAt: '2026-11-16T01:59:00Z',
    assets: ['mail-1'],
    observables: ['email:a@x.example'],
  }),
  // week 3: closed without a resolution time: no MTTR; closed after 1 d, S5 window 30 d: kept. A detection before occurrence is not a time.
  row({
    id: 'H',
    createdAt: '2026-11-17T00:00:00Z',
    category: 'insider',
    severity: 'S5',
    status: 'closed',
    closedAt: '2026-11-18T00:00:00Z',
    occurredAt: '2026-11-17T05:00:00Z',
    detectedAt: '2026-11-17T04:00:00Z',
  }),
  // Outside the range (created on `to`, and before `from`): not counted, but their open action items are.
  row({ id: 'F', createdAt: '2026-11-23T00:00:00Z', category: 'ddos', severity: 'S1', assets: ['mail-1'], actionItems: [item('6', 'open', '2026-11-01')] }),
  row({ id: 'G', createdAt: '2026-11-01T23:59:59Z', category: 'ddos', severity: 'S1', assets: ['mail-1'] }),
];

describe('dashboard computations (offline, from the device’s incident summaries)', () => {
  const d = computeDashboard(SEED, { from: FROM, to: TO, bucket: 'week', now: NOW });

  it('buckets incidents by UTC week starting Monday, and by month', () => {
    expect(bucketStart(Date.parse('2026-11-08T23:59:59Z'), 'week')).toBe('2026-11-02');
    expect(bucketStart(Date.parse('2026-11-09T00:00:00Z'), 'week')).toBe('2026-11-09');
    expect(bucketStart(Date.parse('2026-11-30T23:00:00Z'), 'month')).toBe('2026-11-01');
    expect(bucketKeys(FROM, TO, 'week')).toEqual(['2026-11-02', '2026-11-09', '2026-11-16']);
    expect(bucketKeys(Date.parse('2026-11-15T00:00:00Z'), Date.parse('2027-01-02T00:00:00Z'), 'month')).toEqual(['2026-11-01', '2026-12-01', '2027-01-01']);
  });

  it('counts incidents over time by category and by severity, only those created in the range', () => {
    expect(d.buckets).toEqual(['2026-11-02', '2026-11-09', '2026-11-16']);
    expect(d.incidents).toBe(6);
    expect(d.byCategory.phishing).toEqual([1, 2, 0]);
    expect(d.byCategory.malware).toEqual([1, 1, 0]);
    expect(d.byCategory.insider).toEqual([0, 0, 1]);
    expect(d.byCategory.ddos).toEqual([0, 0, 0]);
    expect(d.bySeverity).toMatchObject({ S1: [1, 0, 0], S2: [0, 2, 0], S3: [1, 0, 0], S4: [0, 1, 0], S5: [0, 0, 1] });
  });

  it('MTTD and MTTR trend: the median minutes per week, null for a week without both times', () => {
    expect(d.mttd).toEqual([60, (1440 + 120) / 2, null]);
    expect(d.mttr).toEqual([(240 + 360) / 2, (720 + 120) / 2, null]);
  });

  it('SLA breaches over time: the resolution window ran out (resolved late, or still running past it)', () => {
    expect(d.slaBreaches).toEqual([1, 1, 0]);
  });

  it('top affected assets and observables count incidents (an asset twice in one incident counts once), ties by name', () => {
    expect(d.topAssets).toEqual([
      { value: 'mail-1', n: 3 },
      { value: 'ws-7', n: 2 },
    ]);
    expect(d.topObservables).toEqual([
      { value: 'domain:x.example', n: 2 },
      { value: 'email:a@x.example', n: 2 },
    ]);
  });

  it('open and overdue action items of every incident on the device: overdue first, by due date', () => {
    expect(d.actionItems.map((a) => [a.title, a.incidentKey, a.overdue])).toEqual([
      ['item 6', 'IR-F', true],
      ['item 1', 'IR-A', true],
      ['item 4', 'IR-C', false],
      ['item 3', 'IR-C', false],
    ]);
    expect(d.overdueActionItems).toBe(2);
  });

  it('summaries written before the dashboard fields existed count without times, observables or items', () => {
    const old = { ...SEED[1]! } as Partial<IncidentSummary>;
    delete old.occurredAt;
    delete old.detectedAt;
    delete old.observables;
    delete old.actionItems;
    const e = computeDashboard([old as IncidentSummary], { from: FROM, to: TO, bucket: 'month', now: NOW });
    expect(e.buckets).toEqual(['2026-11-01']);
    expect(e.incidents).toBe(1);
    expect(e.mttd).toEqual([null]);
    // MTTR falls back to creation: 6 h.
    expect(e.mttr).toEqual([360]);
    expect(e.topObservables).toEqual([]);
  });
});

describe('CSV export', () => {
  it('quotes commas, quotes and line breaks, and guards cells starting with = + - @ against formula injection', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-cmd')).toBe("'-cmd");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(null)).toBe('');
    expect(toCsv(['week', 'n'], [['2026-11-02', 1]])).toBe('week,n\r\n2026-11-02,1\r\n');
  });
});

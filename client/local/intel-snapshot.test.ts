// @vitest-environment node
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { err, ok, type Result } from '../../shared/result.ts';
import type { SentpilotDb } from './db.ts';
import type { ApiFailure } from './http-json.ts';
import type { Snapshot } from './intel-api.ts';
import { createIntelSnapshot, localCopyLabel, SNAPSHOT_REFRESH_MS, type IntelSnapshot } from './intel-snapshot.ts';
import { makeDb } from './testing/fixtures.ts';

const T0 = Date.parse('2026-11-20T12:00:00Z');

function fakeServer(first: Snapshot) {
  const server = {
    snapshot: first,
    down: false,
    calls: 0,
    fetchSnapshot: async (): Promise<Result<Snapshot, ApiFailure>> => {
      server.calls++;
      return server.down ? err({ kind: 'network', message: 'Failed to fetch' }) : ok(server.snapshot);
    },
  };
  return server;
}

const opened: { store: IntelSnapshot; db: SentpilotDb }[] = [];
afterEach(() => {
  for (const { store, db } of opened.splice(0)) {
    store.stop();
    db.close();
  }
});

function setup(snapshot: Snapshot, opts: { online?: boolean; cap?: number; now?: () => number } = {}) {
  const db = makeDb();
  const server = fakeServer(snapshot);
  const store = createIntelSnapshot({
    db,
    fetchSnapshot: server.fetchSnapshot,
    isOnline: () => opts.online ?? true,
    now: opts.now ?? (() => T0),
    cap: opts.cap,
  });
  opened.push({ store, db });
  return { db, server, store };
}

const FIRST: Snapshot = {
  generated_at: '2026-11-20T11:00:00Z',
  items: [
    ['ipv4', '45.155.205.9', 91],
    ['cidr', '185.220.101.0/24', 80],
    ['cidr', '2a0e:1c80:bad::/48', 75],
    ['domain', 'evil.example.com', 88],
    ['sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 99],
  ],
};

describe('the offline intel snapshot', () => {
  it('replaces the whole copy on refresh', async () => {
    const { db, server, store } = setup(FIRST);
    expect((await store.refresh()).ok).toBe(true);
    server.snapshot = { generated_at: '2026-11-20T11:30:00Z', items: [['domain', 'other.example', 77]] };
    const res = await store.refresh();
    expect(res.ok && res.value).toMatchObject({ generatedAt: '2026-11-20T11:30:00Z', count: 1, truncated: false });
    expect(await db.table('indicators').toArray()).toEqual([{ type: 'domain', value: 'other.example', score: 77 }]);
    const [old] = await store.lookup(['45.155.205.9']);
    expect(old?.matches).toEqual([]);
  });

  it('keeps the previous copy when a refresh fails', async () => {
    const { server, store } = setup(FIRST);
    await store.refresh();
    server.down = true;
    const res = await store.refresh();
    expect(res.ok).toBe(false);
    expect(store.state.get().error).toBe('Failed to fetch');
    expect((await store.info())?.count).toBe(5);
    const [hit] = await store.lookup(['45.155.205.9']);
    expect(hit?.matches).toEqual([{ type: 'ipv4', value: '45.155.205.9', score: 91 }]);
  });

  it('looks values up offline: defanged input, exact matches, addresses inside stored CIDR ranges, URLs by their host', async () => {
    const { store } = setup(FIRST);
    await store.refresh();
    const results = await store.lookup([
      '45[.]155[.]205[.]9',
      '185.220.101.42',
      '185.220.101.0/25',
      '185.220.102.1',
      '2a0e:1c80:bad:1::5',
      'hxxp://nope',
      'hxxps://evil[.]example[.]com/login',
      'EVIL.example.com.',
      'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855',
      'hello world',
    ]);
    expect(results.map((r) => [r.type, r.canonical, r.matches.map((m) => m.value)])).toEqual([
      ['ipv4', '45.155.205.9', ['45.155.205.9']],
      ['ipv4', '185.220.101.42', ['185.220.101.0/24']],
      ['cidr', '185.220.101.0/25', ['185.220.101.0/24']],
      ['ipv4', '185.220.102.1', []],
      ['ipv6', '2a0e:1c80:bad:1::5', ['2a0e:1c80:bad::/48']],
      ['url', 'http://nope/', []],
      ['url', 'https://evil.example.com/login', ['evil.example.com']],
      ['domain', 'evil.example.com', ['evil.example.com']],
      ['sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']],
      [null, null, []],
    ]);
  });

  it('IN7: never keeps or matches private, multicast or documentation ranges a feed lists (FireHOL level1)', async () => {
    const { db, store } = setup({
      generated_at: '2026-11-20T11:00:00Z',
      items: [
        ['cidr', '10.0.0.0/8', 95],
        ['cidr', '224.0.0.0/3', 95],
        ['url', 'http://192.168.1.1/login', 90],
        ['ipv4', '45.155.205.233', 95],
      ],
    });
    await store.refresh();
    expect((await db.table('indicators').toArray()).map((r: { value: string }) => r.value)).toEqual(['45.155.205.233']);
    const results = await store.lookup(['10.1.2.3', '239.255.255.250', '2001:db8::1', '45.155.205.233']);
    expect(results.map((r) => [r.canonical, r.matches.map((m) => m.value)])).toEqual([
      ['10.1.2.3', []],
      ['239.255.255.250', []],
      ['2001:db8::1', []],
      ['45.155.205.233', ['45.155.205.233']],
    ]);
  });

  it('sees CIDR ranges added by a refresh (no stale range cache)', async () => {
    const { server, store } = setup({ generated_at: '2026-11-20T11:00:00Z', items: [] });
    await store.refresh();
    expect((await store.lookup(['91.92.109.7']))[0]?.matches).toEqual([]);
    server.snapshot = { generated_at: '2026-11-20T11:05:00Z', items: [['cidr', '91.92.109.0/24', 90]] };
    await store.refresh();
    expect((await store.lookup(['91.92.109.7']))[0]?.matches).toEqual([{ type: 'cidr', value: '91.92.109.0/24', score: 90 }]);
  });

  it('caps the copy at the size limit and says so', async () => {
    const { store } = setup(FIRST, { cap: 2 });
    const res = await store.refresh();
    expect(res.ok && res.value).toMatchObject({ count: 2, truncated: true });
    expect(localCopyLabel(res.ok ? res.value : null, T0).text).toContain('cut at the size cap');
  });

  it('refreshes at start only when online and the copy is missing or older than the interval', async () => {
    let now = T0;
    const { server, store } = setup(FIRST, { now: () => now });
    const settle = () => new Promise((r) => setTimeout(r, 50));
    store.start();
    await settle();
    expect(server.calls).toBe(1);
    store.stop();
    now = T0 + SNAPSHOT_REFRESH_MS - 60_000;
    store.start();
    await settle();
    expect(server.calls).toBe(1);
    store.stop();
    now = T0 + SNAPSHOT_REFRESH_MS + 1;
    store.start();
    await settle();
    expect(server.calls).toBe(2);

    const offline = setup(FIRST, { online: false });
    offline.store.start();
    await settle();
    expect(offline.server.calls).toBe(0);
  });

  it('marks answers with the age of the copy and flags an old one', () => {
    const info = { generatedAt: '2026-11-20T09:00:00Z', refreshedAt: '2026-11-20T09:00:05Z', count: 1234, truncated: false };
    expect(localCopyLabel(info, T0)).toEqual({ text: 'Local copy from 3 h ago, high-confidence indicators only (1,234 indicators).', stale: false });
    expect(localCopyLabel(info, T0 + 2 * 86_400_000).text).toMatch(/^Local copy from 2 days ago/);
    expect(localCopyLabel(info, T0 + 2 * 86_400_000).stale).toBe(true);
    expect(localCopyLabel(null, T0).stale).toBe(true);
  });
});

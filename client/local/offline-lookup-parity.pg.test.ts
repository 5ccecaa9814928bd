// @vitest-environment node
/**
 * The device's offline lookup and the server's lookup give the same answers: a plain list feed of
 * real-shaped values is pushed to a real server (its parsers, store and snapshot), the device
 * takes the snapshot into its copy, and the same inputs are looked up on both sides: defanged
 * URLs, upper-case paths, IDN hosts, IPv6 zero-padded as Suricata writes it, CIDR ranges,
 * private and reserved ranges (never a hit), upper-case hashes, e-mail addresses and domains
 * under multi-part public suffixes. Both sides use shared/indicator-normalize.ts; this test is
 * the contract that the rest of each lookup path (exact, CIDR containment, URL host as domain,
 * never-public) agrees too. It is the one test that runs client and server code together.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupResponse, snapshotResponse } from '../../shared/intel-api.ts';
import { err, ok } from '../../shared/result.ts';
import { startTestServer, type TestServer } from '../../server/testing/test-server.ts';
import type { SentpilotDb } from './db.ts';
import { createIntelSnapshot, type IntelSnapshot } from './intel-snapshot.ts';
import { makeDb } from './testing/fixtures.ts';

/** As a list feed publishes them: defanged, upper-case, zero-padded, with private ranges. */
const FEED = [
  'hxxp[:]//malware-drop[.]example[.]com/Document/Invoice_2026.PDF',
  'hxxps://phish.bücher.example/Login?Session=AbC',
  'https://xn--e1afmkfd.xn--p1ai/pay',
  'пример.рф',
  '2A00:1450:4001:0829:0000:0000:0000:200E',
  '2a0e:1c80:0bad:0000::/48',
  '185.220.101.0/24',
  '45.155.205.9',
  '10.0.0.0/8',
  '192.168.0.0/16',
  '224.0.0.0/3',
  'fd00::/8',
  'SECURE-LOGIN.Example.CO.UK.',
  'payments.example.com.au',
  'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855',
  '44D88612FEA8A8F36DE82E1278ABB02F',
];

const INPUTS = [
  'hxxp[:]//malware-drop[.]example[.]com/Document/Invoice_2026.PDF',
  'HTTP://MALWARE-DROP.EXAMPLE.COM:80/Document/Invoice_2026.PDF#top',
  'http://malware-drop.example.com/document/invoice_2026.pdf',
  'hxxps://phish[.]bücher[.]example/Login?Session=AbC',
  'https://phish.xn--bcher-kva.example/Login?Session=AbC',
  'https://ПРИМЕР.рф/pay',
  'https://пример.рф/other',
  '2a00:1450:4001:829::200e',
  '2A00:1450:4001:0829:0000:0000:0000:200E',
  '[2a0e:1c80:bad:1::5]:443',
  '2a0e:1c80:bad:ff00::/56',
  '185.220.101.77',
  '185[.]220[.]101[.]0/25',
  '185.220.102.1',
  '045.155.205.009',
  '45.155.205.9:443',
  '10.1.2.3',
  '192.168.1.10',
  '239.255.255.250',
  'fd12:3456:789a::1',
  '::ffff:192.168.0.1',
  'fe80::1',
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '44d88612fea8a8f36de82e1278abb02f',
  'analyst@example.com',
  'mailto:soc@secure-login.example.co.uk',
  'secure-login.example.co.uk',
  'www.secure-login.example.co.uk',
  'example.co.uk',
  'PAYMENTS.EXAMPLE.COM.AU',
  'hello world',
];

interface Answer {
  value: string;
  type: string | null;
  canonical: string | null;
  matches: string[];
}

let ts: TestServer;
let db: SentpilotDb;
let device: IntelSnapshot;

beforeAll(async () => {
  ts = await startTestServer({ intel: { schedule: false } });
  const feedRes = await ts.fetch('/api/v1/feeds', { method: 'POST', json: { name: 'parity list', url: null, format: 'plain', default_confidence: 90 } });
  expect(feedRes.status).toBe(201);
  const feed = (await feedRes.json()) as { id: string };
  const token = await ts.token('admin', ['feed:manage']);
  const pushed = await ts.fetch(`/api/v1/feeds/${feed.id}/push`, {
    method: 'POST',
    as: token,
    body: `${FEED.join('\n')}\n`,
    headers: { 'content-type': 'text/plain' },
  });
  expect(await pushed.json()).toMatchObject({ state: 'succeeded', added: FEED.length });
  db = makeDb();
  device = createIntelSnapshot({
    db,
    isOnline: () => true,
    fetchSnapshot: async () => {
      const res = await ts.fetch('/api/v1/indicators/snapshot');
      return res.ok ? ok(snapshotResponse.parse(await res.json())) : err({ kind: 'network', message: `snapshot ${res.status}` });
    },
  });
  expect((await device.refresh()).ok).toBe(true);
});

afterAll(async () => {
  device?.stop();
  db?.close();
  await ts?.stop();
});

const sorted = (m: { type: string; value: string }[]): string[] => m.map((x) => `${x.type} ${x.value}`).sort();

async function serverAnswers(): Promise<Answer[]> {
  const res = await ts.fetch('/api/v1/indicators/lookup', { method: 'POST', json: { values: INPUTS } });
  expect(res.status).toBe(200);
  return lookupResponse.parse(await res.json()).items.map((r) => ({ value: r.value, type: r.type, canonical: r.canonical, matches: sorted(r.matches) }));
}

async function deviceAnswers(): Promise<Answer[]> {
  return (await device.lookup(INPUTS)).map((r) => ({ value: r.value, type: r.type, canonical: r.canonical, matches: sorted(r.matches) }));
}

describe('IN6: offline lookup and server lookup', () => {
  it('answer every real-shaped input with the same type, canonical value and matches', async () => {
    const server = await serverAnswers();
    expect(await deviceAnswers()).toEqual(server);
  });

  it('agree on what the answers are (the comparison is not between two empty lists)', async () => {
    const byValue = new Map((await deviceAnswers()).map((a) => [a.value, a]));
    const answer = (v: string): Answer | undefined => byValue.get(v);
    const url = 'url http://malware-drop.example.com/Document/Invoice_2026.PDF';
    expect(answer('HTTP://MALWARE-DROP.EXAMPLE.COM:80/Document/Invoice_2026.PDF#top')?.matches).toEqual([url]);
    // The path keeps its case: a lower-cased path is another URL.
    expect(answer('http://malware-drop.example.com/document/invoice_2026.pdf')?.matches).toEqual([]);
    expect(answer('hxxps://phish[.]bücher[.]example/Login?Session=AbC')).toMatchObject({
      canonical: 'https://phish.xn--bcher-kva.example/Login?Session=AbC',
      matches: ['url https://phish.xn--bcher-kva.example/Login?Session=AbC'],
    });
    expect(answer('https://ПРИМЕР.рф/pay')?.matches).toEqual(['domain xn--e1afmkfd.xn--p1ai', 'url https://xn--e1afmkfd.xn--p1ai/pay']);
    expect(answer('2A00:1450:4001:0829:0000:0000:0000:200E')).toMatchObject({
      canonical: '2a00:1450:4001:829::200e',
      matches: ['ipv6 2a00:1450:4001:829::200e'],
    });
    expect(answer('[2a0e:1c80:bad:1::5]:443')?.matches).toEqual(['cidr 2a0e:1c80:bad::/48']);
    expect(answer('185[.]220[.]101[.]0/25')?.matches).toEqual(['cidr 185.220.101.0/24']);
    expect(answer('045.155.205.009')?.matches).toEqual(['ipv4 45.155.205.9']);
    expect(answer('44d88612fea8a8f36de82e1278abb02f')?.matches).toEqual(['md5 44d88612fea8a8f36de82e1278abb02f']);
    expect(answer('PAYMENTS.EXAMPLE.COM.AU')?.matches).toEqual(['domain payments.example.com.au']);
    expect(answer('secure-login.example.co.uk')?.matches).toEqual(['domain secure-login.example.co.uk']);
    // Private, reserved, multicast and unique-local addresses are never a hit, listed or not.
    for (const v of ['10.1.2.3', '192.168.1.10', '239.255.255.250', 'fd12:3456:789a::1', '::ffff:192.168.0.1', 'fe80::1'])
      expect(answer(v)?.matches, v).toEqual([]);
    // E-mail addresses are no indicator type.
    expect(answer('analyst@example.com')).toMatchObject({ type: null, canonical: null, matches: [] });
  });
});

// @vitest-environment node
/**
 * Blocklist exports over HTTP: active indicators at or above min_confidence, never private,
 * reserved or documentation ranges, never allow-listed values (IPs inside allow-listed ranges,
 * ranges overlapping them, subdomains of allow-listed domains, URLs on those hosts); plain text,
 * CSV and a STIX 2.1 bundle; API token access; bad parameters named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { ingest, type StoreItem } from './store.ts';

let ts: TestServer;
const now = new Date();

async function seed(confidence: number, items: StoreItem[]): Promise<void> {
  await ingest(ts.server.sql, { feedId: null, source: `feed ${confidence}`, confidence, tlp: 'green', runId: null, complete: false }, items, { now });
}

const lines = async (path: string): Promise<string[]> => {
  const r = await ts.fetch(path);
  expect(r.status).toBe(200);
  return (await r.text()).split('\n').filter(Boolean);
};

beforeAll(async () => {
  ts = await startTestServer({ intel: { schedule: false } });
  await seed(90, [
    { type: 'ipv4', value: '45.77.10.1' },
    { type: 'ipv4', value: '10.1.2.3' }, // private
    { type: 'ipv4', value: '192.0.2.10' }, // documentation
    { type: 'ipv4', value: '127.0.0.1' }, // loopback
    { type: 'ipv6', value: '2001:db8::1' }, // documentation
    { type: 'ipv6', value: '2a01:4f8::1' },
    { type: 'cidr', value: '0.0.0.0/1' }, // overlaps private ranges
    { type: 'cidr', value: '91.200.0.0/16' },
    { type: 'ipv4', value: '81.2.69.160' }, // inside the allow-listed 81.2.69.0/24
    { type: 'cidr', value: '81.2.0.0/16' }, // contains the allow-listed range
    { type: 'domain', value: 'evil.example' },
    { type: 'domain', value: 'mail.ourcompany.com' }, // subdomain of an allow-listed domain
    { type: 'domain', value: 'ourcompany.com' },
    { type: 'url', value: 'http://cdn.ourcompany.com/x.exe' },
    { type: 'url', value: "http://bad.example/a'b" },
    { type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' },
  ]);
  await seed(40, [{ type: 'ipv4', value: '45.77.10.2' }]);
  const by = (await ts.server.sql<{ id: string }[]>`SELECT id FROM users LIMIT 1`)[0]?.id ?? 'test';
  await ts.server.sql`INSERT INTO intel_allowlist (value, net, created_by) VALUES ('81.2.69.0/24', '81.2.69.0/24', ${by}), ('ourcompany.com', NULL, ${by})`;
});
afterAll(async () => {
  await ts.stop();
});

describe('GET /blocklists', () => {
  it('IN7, IN14: exports routable IPs and ranges at or above min_confidence, never private, documentation or allow-listed ones', async () => {
    // Ordered by type (cidr, ipv4, ipv6), then value.
    expect(await lines('/api/v1/blocklists/ip.txt')).toEqual(['91.200.0.0/16', '45.77.10.1', '2a01:4f8::1']);
    const low = await lines('/api/v1/blocklists/ip.txt?min_confidence=30');
    expect(low).toContain('45.77.10.2');
    expect(await lines('/api/v1/blocklists/ip.txt?types=ipv4')).toEqual(['45.77.10.1']);
  });

  it('IN7, IN14: leaves out allow-listed domains, their subdomains and URLs on them', async () => {
    expect(await lines('/api/v1/blocklists/domain.txt')).toEqual(['evil.example']);
    expect(await lines('/api/v1/blocklists/url.txt')).toEqual(["http://bad.example/a'b"]);
    expect(await lines('/api/v1/blocklists/hash.txt')).toEqual(['d41d8cd98f00b204e9800998ecf8427e']);
  });

  it('writes CSV with a header and a STIX 2.1 bundle of indicator patterns', async () => {
    const csv = await ts.fetch('/api/v1/blocklists/domain.csv');
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const [header, row] = (await csv.text()).trim().split('\r\n');
    expect(header).toBe('value,type,score,last_seen,tags');
    expect(row).toMatch(/^evil\.example,domain,90,\d{4}-/);
    const stix = await ts.fetch('/api/v1/blocklists/url.stix.json');
    expect(stix.headers.get('content-type')).toContain('application/stix+json');
    const bundle = (await stix.json()) as { type: string; id: string; objects: Record<string, unknown>[] };
    expect(bundle.type).toBe('bundle');
    expect(bundle.id).toMatch(/^bundle--[0-9a-f-]{36}$/);
    expect(bundle.objects).toHaveLength(1);
    expect(bundle.objects[0]).toMatchObject({
      type: 'indicator',
      spec_version: '2.1',
      pattern_type: 'stix',
      pattern: "[url:value = 'http://bad.example/a\\'b']",
      confidence: 90,
      id: expect.stringMatching(/^indicator--[0-9a-f-]{36}$/),
    });
    const ips = (await (await ts.fetch('/api/v1/blocklists/ip.stix.json')).json()) as { objects: { pattern: string }[] };
    expect(ips.objects.map((o) => o.pattern)).toContain("[ipv4-addr:value = '91.200.0.0/16']");
  });

  it('IN14: applies an allow-list change at once, even to a list just served', async () => {
    expect(await lines('/api/v1/blocklists/domain.txt?min_confidence=10')).toEqual(['evil.example']);
    await ts.server.sql`INSERT INTO intel_allowlist (value, net, created_by) VALUES ('evil.example', NULL, 'test')`;
    expect(await lines('/api/v1/blocklists/domain.txt?min_confidence=10')).toEqual([]);
    await ts.server.sql`DELETE FROM intel_allowlist WHERE value = 'evil.example'`;
  });

  it('answers an API token, refuses no identity, names a bad types value and 404s an unknown list', async () => {
    const token = await ts.token('viewer');
    const r = await ts.fetch('/api/v1/blocklists/domain.txt', { as: token });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-entry-count')).toBe('1');
    expect((await ts.fetch('/api/v1/blocklists/domain.txt', { as: null })).status).toBe(401);
    const bad = await ts.fetch('/api/v1/blocklists/ip.txt?types=domain');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^types: /);
    expect((await ts.fetch('/api/v1/blocklists/users.txt')).status).toBe(404);
    expect((await ts.fetch('/api/v1/blocklists/ip.xml')).status).toBe(404);
  });
});

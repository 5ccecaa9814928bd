import { describe, expect, it } from 'vitest';
import { chunked, collect, fixtureText } from './fixtures/stream.ts';
import { parseFeed } from './parse-feed.ts';
import { parseStixObjects } from './stix.ts';
import { parseStixPattern } from './stix-pattern.ts';

describe('parseStixPattern', () => {
  it('extracts positive equality and IN comparisons on supported objects', () => {
    const result = parseStixPattern(
      "[ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value IN ('5.6.7.8', '9.9.9.9')] FOLLOWEDBY [network-traffic:dst_ref.value = 'c2.example' AND network-traffic:dst_port = 443] START t'2026-01-01T00:00:00Z' STOP t'2026-02-01T00:00:00Z'",
    );
    expect(result).toEqual({
      ok: true,
      values: [
        { raw: '1.2.3.4', types: ['ipv4', 'cidr'] },
        { raw: '5.6.7.8', types: ['ipv4', 'cidr'] },
        { raw: '9.9.9.9', types: ['ipv4', 'cidr'] },
        { raw: 'c2.example', types: ['ipv4', 'ipv6', 'cidr', 'domain'] },
      ],
    });
  });

  it('ignores negated, inequality and LIKE tests and unsupported objects', () => {
    expect(
      parseStixPattern(
        "[ipv4-addr:value != '1.2.3.4' AND domain-name:value NOT = 'a.example' AND url:value LIKE '%x%' AND email-addr:value = 'a@b.example' AND EXISTS file:name]",
      ),
    ).toEqual({ ok: true, values: [] });
    expect(parseStixPattern("[ipv4-addr:value ISSUBSET '198.51.100.0/24']")).toEqual({
      ok: true,
      values: [{ raw: '198.51.100.0/24', types: ['cidr', 'ipv4', 'ipv6'] }],
    });
    expect(parseStixPattern("([file:hashes.'SHA-256' = 'ab'] AND [file:size > 1.5]) WITHIN 10 SECONDS REPEATS 2 TIMES").ok).toBe(true);
  });

  it('IN1: reports malformed patterns with a reason instead of throwing', () => {
    for (const pattern of [
      "[ipv4-addr:value = '1.2.3.4'",
      "ipv4-addr:value = '1.2.3.4'",
      "[ipv4-addr:value = '1.2.3.4]",
      "[ipv4-addr:value ~ '1']",
      "[ipv4-addr:value = '1.2.3.4'] AND",
      "[ipv4-addr:value = 'a\\x']",
      '',
      "[ipv4-addr:value = '1'] WITHIN 5 MINUTES",
      "[:value = '1']",
      "[a:b IN ('x',)]",
    ]) {
      const result = parseStixPattern(pattern);
      expect(result.ok, pattern).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/^malformed pattern: /);
    }
  });

  it('IN1: never throws on random input', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const alphabet = "[]():.,*'\\ =!<>ANDORNOTINipv4-addr:value1.2t";
    for (let n = 0; n < 2_000; n++) {
      const length = Math.floor(random() * 40);
      const text = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      expect(() => parseStixPattern(text)).not.toThrow();
    }
  });
});

describe('STIX 2.1 bundles', () => {
  it('yields indicators with validity, confidence, TLP and related malware, actors and techniques', async () => {
    const { items, objects, skipped } = await collect(parseFeed('stix', {}, chunked(fixtureText('stix-bundle.json'), 100)));
    expect(items.map((i) => [i.type, i.value])).toEqual([
      ['ipv4', '198.51.100.1'],
      ['cidr', '203.0.113.0/24'],
      ['ipv6', '2001:db8::1'],
      ['domain', 'evil.example.com'],
      ['url', "http://evil.example.com/it's"],
      ['sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      ['md5', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ]);
    expect(items[0]).toEqual({
      type: 'ipv4',
      value: '198.51.100.1',
      net: '198.51.100.1',
      confidence: 85,
      first_seen: '2026-11-01T10:00:00.000Z',
      last_seen: '2026-11-15T10:00:00.000Z',
      valid_until: '2027-01-01T00:00:00.000Z',
      tags: ['c2', 'malicious-activity'],
      malware: ['Example Loader'],
      actors: ['Example Spider'],
      techniques: ['T1105'],
      tlp: 'green',
    });
    expect(items[3]?.malware).toBeUndefined();
    expect(items[5]?.tlp).toBe('red');
    expect(objects.map((o) => [o.kind, o.name, o.external_id])).toEqual([
      ['malware', 'Example Loader', null],
      ['threat-actor', 'Example Spider', null],
      ['attack-pattern', 'Ingress Tool Transfer', 'T1105'],
    ]);
    expect(skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/^malformed pattern: /),
      'pattern type "snort" is not stix',
      'the pattern tests no IP, domain, URL or file hash',
      expect.stringContaining('not what the pattern'),
    ]);
  });

  it('IN3: skips revoked and deprecated objects with the reason, stores tools, and reads any source external id', async () => {
    const ref = (source_name: string, external_id: string) => ({ source_name, external_id });
    const objects = [
      { type: 'malware', id: 'malware--old', name: 'Emotet', revoked: true },
      { type: 'malware', id: 'malware--v1', name: 'TrickBot', external_references: [ref('malpedia', 'win.trickbot')] },
      {
        type: 'malware',
        id: 'malware--v2',
        name: 'TrickBot',
        external_references: [{ source_name: 'mitre-attack', url: 'https://attack.mitre.org' }, ref('mitre-attack', 'S0266')],
      },
      { type: 'relationship', id: 'relationship--r', relationship_type: 'revoked-by', source_ref: 'malware--v1', target_ref: 'malware--v2' },
      {
        type: 'attack-pattern',
        id: 'attack-pattern--dep',
        name: 'Old Technique',
        x_mitre_deprecated: true,
        external_references: [ref('mitre-attack', 'T1064')],
      },
      { type: 'tool', id: 'tool--cs', name: 'Cobalt Strike', tool_types: ['remote-access'], external_references: [ref('mitre-attack', 'S0154')] },
      { type: 'intrusion-set', id: 'intrusion-set--x', name: 'Example Group', external_references: [ref('misp-galaxy', 'G9999')] },
      { type: 'indicator', id: 'indicator--a', pattern_type: 'stix', pattern: "[ipv4-addr:value = '198.51.100.77']" },
      { type: 'relationship', id: 'relationship--a1', relationship_type: 'indicates', source_ref: 'indicator--a', target_ref: 'malware--v1' },
      { type: 'relationship', id: 'relationship--a2', relationship_type: 'indicates', source_ref: 'indicator--a', target_ref: 'tool--cs' },
      { type: 'relationship', id: 'relationship--a3', relationship_type: 'uses', source_ref: 'indicator--a', target_ref: 'attack-pattern--dep' },
      { type: 'relationship', id: 'relationship--a4', relationship_type: 'indicates', source_ref: 'indicator--a', target_ref: 'malware--old' },
      { type: 'indicator', id: 'indicator--b', pattern_type: 'stix', pattern: "[ipv4-addr:value = '198.51.100.78']", x_mitre_deprecated: true },
    ];
    const { items, objects: stored, skipped } = await collect(parseFeed('stix', {}, chunked(JSON.stringify({ type: 'bundle', id: 'bundle--1', objects }))));
    expect(stored.map((o) => [o.kind, o.name, o.external_id])).toEqual([
      ['malware', 'TrickBot', 'S0266'],
      ['tool', 'Cobalt Strike', 'S0154'],
      ['intrusion-set', 'Example Group', 'G9999'],
    ]);
    expect(skipped.map((s) => [s.text, s.reason])).toEqual([
      ['malware--old: Emotet', 'revoked'],
      ['malware--v1: TrickBot', 'revoked by malware--v2'],
      ['attack-pattern--dep: Old Technique', 'deprecated'],
      [expect.stringContaining('indicator--b'), 'deprecated'],
    ]);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ value: '198.51.100.77', malware: ['TrickBot', 'Cobalt Strike'] });
    expect(items[0]?.techniques).toBeUndefined();
    const streamed = await collect(
      parseStixObjects(
        (async function* () {
          yield* objects;
        })(),
      ),
    );
    expect(streamed).toEqual({ items, objects: stored, skipped });
  });

  it('parses a stream of TAXII objects the same way, relationships after indicators', async () => {
    const bundle = JSON.parse(fixtureText('stix-bundle.json')) as { objects: unknown[] };
    async function* stream() {
      yield* [...bundle.objects].reverse();
    }
    const { items } = await collect(parseStixObjects(stream()));
    expect(items.find((i) => i.value === '198.51.100.1')?.techniques).toEqual(['T1105']);
  });

  it('IN1: keeps the indicators before the cut of a truncated bundle', async () => {
    const text = fixtureText('stix-bundle.json');
    const { items, skipped } = await collect(parseFeed('stix', {}, chunked(text.slice(0, text.indexOf('indicator--1b2c3d4e-0000-4000-8000-000000000003')))));
    expect(items.map((i) => i.value)).toEqual(['198.51.100.1', '203.0.113.0/24', '2001:db8::1', 'evil.example.com', "http://evil.example.com/it's"]);
    expect(skipped.at(-1)?.reason).toMatch(/^document truncated/);
  });

  it('IN1: reports a document that is not a bundle', async () => {
    const { skipped } = await collect(parseFeed('stix', {}, chunked('{"type":"indicator"}')));
    expect(skipped[0]?.reason).toMatch(/^not a STIX bundle/);
  });
});

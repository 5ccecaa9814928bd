import { describe, expect, it } from 'vitest';
import { chunked, collect, fixtureText } from './fixtures/stream.ts';
import { parseJsonDocument } from './json-document.ts';
import { feedExpression, TRUNCATED_REASON } from './json.ts';
import { parseFeed } from './parse-feed.ts';

const json = (text: string, options: Parameters<typeof parseFeed>[1]) => collect(parseFeed('json', options, chunked(text, 64)));

describe('OTX pulses', () => {
  it('yields pulse indicators with tags, malware families, ATT&CK ids, adversary and TLP', async () => {
    const { items, skipped } = await json(fixtureText('otx-pulses.json'), { preset: 'otx' });
    expect(items.map((i) => [i.type, i.value])).toEqual([
      ['ipv4', '91.92.240.118'],
      ['domain', 'cdn-update.example.shop'],
      ['url', 'http://cdn-update.example.shop/gate.php'],
      ['sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      ['md5', 'd41d8cd98f00b204e9800998ecf8427e'],
    ]);
    expect(items[0]).toMatchObject({
      tags: ['lumma', 'stealer'],
      malware: ['Lumma Stealer'],
      techniques: ['T1566.001'],
      tlp: 'clear',
      first_seen: '2026-11-19T10:00:00.000Z',
      valid_until: '2026-12-19T10:00:00.000Z',
    });
    expect(items[0]?.actors).toBeUndefined();
    expect(items[4]).toMatchObject({ malware: ['PlugX'], actors: ['Example Panda'], techniques: ['T1059'], tlp: 'amber' });
    expect(skipped.map((s) => s.reason)).toEqual(['unsupported OTX type "email"', 'unsupported OTX type "FileHash-IMPHASH"', 'inactive in OTX']);
  });

  it('IN2: reads the upper-case TLP real OTX pulses write, and flags a label that is no TLP level', async () => {
    const pulse = (labels: Record<string, string>) => ({ name: 'p', ...labels, indicators: [{ indicator: '203.0.113.9', type: 'IPv4' }] });
    const { items } = await json(
      JSON.stringify({ results: [pulse({ TLP: 'white' }), pulse({ TLP: 'amber', tlp: 'green' }), pulse({ TLP: 'TLP:CHARTREUSE' })] }),
      { preset: 'otx' },
    );
    expect(items.map((i) => [i.tlp, i.tlp_unrecognised])).toEqual([
      ['clear', undefined],
      ['amber', undefined],
      [undefined, true],
    ]);
  });

  it('IN1: keeps the complete indicators of a truncated download and says it was truncated', async () => {
    const text = fixtureText('otx-pulses.json');
    const cut = text.slice(0, text.indexOf('"badguy@example.com"') + 5);
    const { items, skipped } = await json(cut, { preset: 'otx' });
    expect(items).toHaveLength(4);
    expect(skipped.at(-1)).toEqual({ line: null, text: '', reason: TRUNCATED_REASON });
  });

  it('IN1: reports a document that is not JSON without throwing', async () => {
    const { items, skipped } = await json('<html>502 Bad Gateway</html>', { preset: 'otx' });
    expect(items).toEqual([]);
    expect(skipped).toEqual([{ line: null, text: '<html>502 Bad Gateway</html>', reason: expect.stringContaining('not valid JSON') }]);
  });

  it('IN1: reports JSON that is not OTX pulses', async () => {
    const { skipped } = await json('{"hello": 1}', { preset: 'otx' });
    expect(skipped[0]?.reason).toContain('not OTX pulses');
  });
});

describe('CISA KEV', () => {
  it('IN5: maps each vulnerability to an intel object and yields no indicators', async () => {
    const { items, objects, skipped } = await json(fixtureText('cisa-kev.json'), { preset: 'cisa_kev' });
    expect(items).toEqual([]);
    expect(objects.map((o) => [o.id, o.kind, o.external_id])).toEqual([
      ['cve:CVE-2021-44228', 'vulnerability', 'CVE-2021-44228'],
      ['cve:CVE-2023-4966', 'vulnerability', 'CVE-2023-4966'],
    ]);
    expect(objects[0]).toMatchObject({
      name: 'Apache Log4j2 Remote Code Execution Vulnerability',
      data: { vendor: 'Apache', product: 'Log4j2', due_date: '2021-12-24', ransomware: 'Known' },
    });
    expect(skipped.map((s) => s.reason)).toEqual(['KEV entry without a CVE id']);
  });
});

describe('JSONata expressions and plain arrays', () => {
  it('evaluates an expression giving { value, type, … } items', async () => {
    const doc = JSON.stringify({
      data: [
        { ioc: '8.8.4.4', kind: 'ip', score: 90, family: 'X' },
        { ioc: 'zzz', kind: 'domain', score: 10 },
      ],
    });
    const { items, skipped } = await json(doc, { expression: 'data.{ "value": ioc, "type": kind, "confidence": score, "malware": [family] }' });
    expect(items).toEqual([{ type: 'ipv4', value: '8.8.4.4', net: '8.8.4.4', confidence: 90, malware: ['X'] }]);
    expect(skipped.map((s) => s.reason)).toEqual([expect.stringContaining('not an IP')]);
  });

  it('stops a runaway expression instead of holding the server: recursion depth and run time are bounded', async () => {
    const deep = await json('{}', { expression: '($f := function($n){ $f($n + 1) + 1 }; $f(0))' });
    expect(deep.skipped[0]?.reason).toMatch(/^expression failed: Stack overflow/);
    const started = performance.now();
    const slow = await collect(feedExpression({}, '($f := function($n){ $n > 0 ? $f($n - 1) + $f($n - 1) : 1 }; $f(40))', { timeout: 200, stack: 500 }));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(slow.skipped[0]?.reason).toMatch(/^expression failed: Evaluation timeout/);
  });

  it('reports an expression that does not compile', async () => {
    const { skipped } = await json('{}', { expression: 'data.{' });
    expect(skipped[0]?.reason).toMatch(/^expression failed/);
  });

  it('IN2: flags a tlp that is no TLP level instead of dropping it, with or without an expression', async () => {
    const plain = await json(
      JSON.stringify([
        { value: '198.51.100.7', tlp: 'TLP:AMBER' },
        { value: '198.51.100.8', tlp: 'purple' },
        { value: '198.51.100.9', tlp: 2 },
        { value: '198.51.100.10' },
      ]),
      {},
    );
    expect(plain.items.map((i) => [i.value, i.tlp, i.tlp_unrecognised])).toEqual([
      ['198.51.100.7', 'amber', undefined],
      ['198.51.100.8', undefined, true],
      ['198.51.100.9', undefined, true],
      ['198.51.100.10', undefined, undefined],
    ]);
    const viaExpression = await json(JSON.stringify({ rows: [{ ip: '198.51.100.11', label: 'Amber-ish' }] }), {
      expression: 'rows.{ "value": ip, "tlp": label }',
    });
    expect(viaExpression.items[0]).toMatchObject({ value: '198.51.100.11', tlp_unrecognised: true });
  });

  it('reads an array of strings or objects without options', async () => {
    const { items, skipped } = await json('["1.2.3.4", {"value": "hxxps://a[.]example/x", "tlp": "TLP:RED"}, 42]', {});
    expect(items.map((i) => [i.value, i.tlp])).toEqual([
      ['1.2.3.4', undefined],
      ['https://a.example/x', 'red'],
    ]);
    expect(skipped.map((s) => s.text)).toEqual(['42']);
  });
});

describe('parseJsonDocument', () => {
  it('repairs only a clean truncation', () => {
    expect(parseJsonDocument('{"a":[1,2,{"b":"x,]"},3')).toEqual({ ok: true, truncated: true, value: { a: [1, 2, { b: 'x,]' }] } });
    expect(parseJsonDocument('[{"v":"1"},{"v":"2')).toEqual({ ok: true, truncated: true, value: [{ v: '1' }] });
    expect(parseJsonDocument('[1]]').ok).toBe(false);
    expect(parseJsonDocument('[1, 2, oops]').ok).toBe(false);
    expect(parseJsonDocument('[').ok).toBe(false);
  });
});

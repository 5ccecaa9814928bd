import { describe, expect, it } from 'vitest';
import { CSV_PRESETS } from './csv-presets.ts';
import { splitCsv } from './csv.ts';
import { chunked, collect, fixtureText } from './fixtures/stream.ts';
import { parseFeed } from './parse-feed.ts';

const csv = (name: string, options: Parameters<typeof parseFeed>[1], size?: number) => collect(parseFeed('csv', options, chunked(fixtureText(name), size)));

describe('splitCsv', () => {
  it('splits quoted fields with escapes, delimiters inside quotes and spaces after commas', () => {
    expect(splitCsv('"a,b", "say ""hi""",c ,', ',')).toEqual(['a,b', 'say "hi"', 'c', '']);
    expect(splitCsv('"open', ',')).toBeNull();
    expect(splitCsv('x\ty\t"z\tw"', '\t')).toEqual(['x', 'y', 'z\tw']);
  });
});

describe('CSV feeds', () => {
  it('reads Feodo Tracker with the header from the # comment line', async () => {
    const { items, skipped } = await csv('feodo-ipblocklist.csv', CSV_PRESETS.feodo_tracker);
    expect(items).toEqual([
      {
        type: 'ipv4',
        value: '51.178.161.32',
        net: '51.178.161.32',
        first_seen: '2021-01-17T07:44:46.000Z',
        last_seen: '2026-11-20T00:00:00.000Z',
        malware: ['Dridex'],
      },
      {
        type: 'ipv4',
        value: '162.243.103.246',
        net: '162.243.103.246',
        first_seen: '2023-06-02T12:01:09.000Z',
        last_seen: '2026-11-19T00:00:00.000Z',
        malware: ['Emotet'],
      },
    ]);
    expect(skipped).toEqual([{ line: 12, text: expect.stringContaining('999.1.1.1'), reason: expect.stringContaining('not an IP') }]);
  });

  it('reads URLhaus URLs canonically with their tags', async () => {
    const { items, skipped } = await csv('urlhaus.csv', CSV_PRESETS.urlhaus, 5);
    expect(items.map((i) => i.value)).toEqual(['http://117.213.1.2:39434/i', 'https://files.example-cdn.com/dl/invoice.zip']);
    expect(items[0]?.tags).toEqual(['32-bit', 'elf', 'mips', 'Mozi']);
    expect(skipped.map((s) => s.line)).toEqual([12]);
  });

  it('reads ThreatFox: ip:port, confidence, malware, and refuses a value its type column contradicts', async () => {
    const { items, skipped } = await csv('threatfox.csv', CSV_PRESETS.threatfox);
    expect(items.map((i) => [i.type, i.value, i.confidence, i.malware])).toEqual([
      ['ipv4', '45.137.22.98', 100, ['Cobalt Strike']],
      ['domain', 'update-check.example.top', 75, ['Lumma Stealer']],
      ['md5', '0f3c6f0b2c8f7a4b9e1d2c3b4a596877', 50, ['RedLine Stealer']],
    ]);
    expect(items[1]?.last_seen).toBe('2026-11-21T05:20:00.000Z');
    expect(items[1]?.tags).toEqual(['Lumma', 'stealer']);
    expect(skipped).toEqual([
      { line: 13, text: expect.stringContaining('evil.example.org'), reason: 'type "sha256_hash" does not match the value (a domain)' },
    ]);
  });

  it('reads MalwareBazaar SHA-256 hashes lower-cased', async () => {
    const { items } = await csv('malwarebazaar.csv', CSV_PRESETS.malwarebazaar);
    expect(items).toEqual([
      {
        type: 'sha256',
        value: '5c1f3e5b0e1fdb0d9a5b3e8b0a2c6c7d8e9f00112233445566778899aabbccdd',
        first_seen: '2026-11-21T05:49:30.000Z',
        malware: ['AgentTesla'],
      },
    ]);
  });

  it('reads PhishTank with a plain header line and a quoted field spanning lines', async () => {
    const { items, skipped } = await csv('phishtank.csv', CSV_PRESETS.phishtank, 4);
    expect(skipped).toEqual([]);
    expect(items.map((i) => [i.value, i.tags])).toEqual([
      ['https://secure-login.example-bank.co.uk/verify?acct=1', ['Example "Bank" plc']],
      ['http://paypa1.example.com/signin', ['Pay\nPal']],
      ['http://login.example.net/', ['Other']],
    ]);
    expect(items[0]?.first_seen).toBe('2026-11-20T22:13:05.000Z');
  });

  it('takes the first indicator field when no mapping is given, and columns by index', async () => {
    const body = 'x,1.2.3.4,y\nno,indicator,here\n';
    const auto = await collect(parseFeed('csv', {}, chunked(body)));
    expect(auto.items.map((i) => i.value)).toEqual(['1.2.3.4']);
    expect(auto.skipped).toEqual([{ line: 2, text: 'no,indicator,here', reason: 'no field is an IP, CIDR, domain, URL or hash' }]);
    const byIndex = await collect(parseFeed('csv', { delimiter: ';', columns: { value: 2, tags: 0 } }, chunked('a|b;x;evil.example\n')));
    expect(byIndex.items).toEqual([{ type: 'domain', value: 'evil.example', tags: ['a', 'b'] }]);
  });

  it('IN1: reports a mapping naming a column the header lacks, once, and yields nothing', async () => {
    const { items, skipped } = await csv('urlhaus.csv', { header: true, columns: { value: 'link' } });
    expect(items).toEqual([]);
    expect(skipped).toEqual([{ line: null, text: '', reason: expect.stringContaining('column "link" is not in the header') }]);
  });

  it('IN1: reports a quoted field left open at the end of a truncated download', async () => {
    const { items, skipped } = await collect(parseFeed('csv', {}, chunked('"1.2.3.4"\n"5.6.7.8,cut')));
    expect(items.map((i) => i.value)).toEqual(['1.2.3.4']);
    expect(skipped).toEqual([{ line: 2, text: '"5.6.7.8,cut', reason: expect.stringContaining('truncated') }]);
  });
});

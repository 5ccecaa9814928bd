import { describe, expect, it } from 'vitest';
import { chunked, collect, fixtureText } from './fixtures/stream.ts';
import { parseFeed } from './parse-feed.ts';
import { readLines } from './read-input.ts';

const plain = (name: string, size?: number) => collect(parseFeed('plain', {}, chunked(fixtureText(name), size)));

describe('plain lists', () => {
  it('IN1: reads ipsum lines (ip<TAB>count) and skips a bad line with its number', async () => {
    const { items, skipped } = await plain('ipsum.txt');
    expect(items.map((i) => i.value)).toEqual(['185.224.128.17', '45.148.10.92', '80.94.95.115', '2.57.122.208']);
    expect(items[0]).toEqual({ type: 'ipv4', value: '185.224.128.17', net: '185.224.128.17' });
    expect(skipped).toEqual([{ line: 11, text: 'not-an-ip\t3', reason: expect.stringContaining('not an IP') }]);
  });

  it('reads Spamhaus DROP ranges with trailing ; comments', async () => {
    const { items, skipped } = await plain('spamhaus-drop.txt', 3);
    expect(items.map((i) => [i.type, i.value])).toEqual([
      ['cidr', '1.10.16.0/20'],
      ['cidr', '1.19.0.0/16'],
      ['cidr', '2.56.192.0/22'],
    ]);
    expect(skipped.map((s) => s.line)).toEqual([8]);
  });

  it('reads FireHOL netsets with addresses, v4 and v6 ranges', async () => {
    const { items } = await plain('firehol_level1.netset');
    expect(items.map((i) => i.value)).toEqual(['0.0.0.0/8', '5.188.10.0/23', '31.184.198.71', '2001:db8:dead::/48']);
  });

  it('handles CRLF, hosts-file lines, defanged URLs and trailing # comments', async () => {
    const { items, skipped } = await plain('mixed-crlf.txt', 1);
    expect(items.map((i) => [i.type, i.value])).toEqual([
      ['domain', 'ads.tracker.example.com'],
      ['url', 'http://evil.example.net/payload.bin'],
      ['md5', 'd41d8cd98f00b204e9800998ecf8427e'],
    ]);
    expect(skipped).toEqual([]);
  });

  it('IN1: reads DShield block.txt rows (start, end, netblock size) as ranges, and names a line of no known shape', async () => {
    const { items, skipped } = await plain('dshield-block.txt', 7);
    expect(items.map((i) => [i.type, i.value])).toEqual([
      ['cidr', '45.148.10.0/24'],
      ['cidr', '80.94.95.0/24'],
      ['cidr', '185.224.128.0/24'],
      ['cidr', '193.32.162.0/24'],
    ]);
    expect(skipped).toEqual([{ line: 26, text: 'this is\tnot a block\trow', reason: expect.stringMatching(/^unrecognised line format/) }]);
  });

  it('covers a range that is no single block with the fewest CIDRs, IPv4 and IPv6', async () => {
    const text = [
      '198.51.100.5\t198.51.100.20',
      '203.0.113.7 - 203.0.113.7',
      '2001:db8::\t2001:db8::1:ffff',
      '198.51.100.9\t198.51.100.1',
      '192.0.2.0\t192.0.2.255\t25\t3',
    ].join('\n');
    const { items, skipped } = await collect(parseFeed('plain', {}, chunked(text)));
    expect(items.map((i) => i.value)).toEqual([
      '198.51.100.5',
      '198.51.100.6/31',
      '198.51.100.8/29',
      '198.51.100.16/30',
      '198.51.100.20',
      '203.0.113.7',
      '2001:db8::/111',
    ]);
    expect(skipped.map((s) => [s.line, s.reason])).toEqual([
      [4, 'range ends before it starts'],
      [5, 'the range is no /25 block, as its netblock column says'],
    ]);
  });

  it('IN1: skips an over-long line without buffering it, then goes on', async () => {
    const lines = [];
    for await (const line of readLines(chunked(`1.2.3.4\n${'x'.repeat(5_000)}\n5.6.7.8`, 100), 1_000)) lines.push(line);
    expect(lines.map((l) => ['tooLong' in l, l.line, l.text.length <= 200 ? l.text : 'long'])).toEqual([
      [false, 1, '1.2.3.4'],
      [true, 2, 'x'.repeat(200)],
      [false, 3, '5.6.7.8'],
    ]);
  });

  it('decodes UTF-8 split across chunks and reports progress', async () => {
    const progress: number[] = [];
    const text = 'bücher.example\n'.repeat(3);
    const { items } = await collect(parseFeed('plain', {}, chunked(text, 1), (p) => progress.push(p.items)));
    expect(items.map((i) => i.value)).toEqual(Array(3).fill('xn--bcher-kva.example'));
    expect(progress.at(-1)).toBe(3);
  });
});

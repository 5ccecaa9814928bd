import { describe, expect, it } from 'vitest';
import { detect as serverDetect } from '../../server/intel/normalize.ts';
import { detect, parseRange, rangeContains, refang } from './intel-normalize.ts';

describe('client indicator normalizer', () => {
  it('detects IPv4 (ports dropped, leading zeros decimal, like the server) and refuses out-of-range octets', () => {
    expect(detect(' 203.0.113.9 ')).toEqual({ type: 'ipv4', value: '203.0.113.9' });
    expect(detect('203[.]0[.]113[.]9')).toEqual({ type: 'ipv4', value: '203.0.113.9' });
    expect(detect('256.1.1.1')).toBeNull();
    expect(detect('010.1.1.1')).toEqual({ type: 'ipv4', value: '10.1.1.1' });
    expect(detect('203.0.113.9:8443')).toEqual({ type: 'ipv4', value: '203.0.113.9' });
    expect(detect('::ffff:203.0.113.9')).toEqual({ type: 'ipv4', value: '203.0.113.9' });
    expect(detect('203.0.113.9 extra')).toBeNull();
    expect(detect('1.2.3')).toBeNull();
  });

  it('gives IPv6 its canonical compressed lower-case form', () => {
    expect(detect('2001:0DB8:0000:0000:0000:0000:0000:0001')).toEqual({ type: 'ipv6', value: '2001:db8::1' });
    expect(detect('[2001:db8::1]')).toEqual({ type: 'ipv6', value: '2001:db8::1' });
    expect(detect('[2001:db8::1]:443')).toEqual({ type: 'ipv6', value: '2001:db8::1' });
    expect(detect('2001:db8:0:1:0:0:0:1')).toEqual({ type: 'ipv6', value: '2001:db8:0:1::1' });
  });

  it('canonicalizes CIDR ranges to their network address and single-address ranges to addresses', () => {
    expect(detect('198.51.100.77/24')).toEqual({ type: 'cidr', value: '198.51.100.0/24' });
    expect(detect('198.51.100.77/32')).toEqual({ type: 'ipv4', value: '198.51.100.77' });
    expect(detect('2001:db8:abcd::1/48')).toEqual({ type: 'cidr', value: '2001:db8:abcd::/48' });
    expect(detect('2001:db8::1/128')).toEqual({ type: 'ipv6', value: '2001:db8::1' });
    expect(detect('10.0.0.0/33')).toBeNull();
  });

  it('lower-cases domains, drops the trailing dot and converts IDN to punycode', () => {
    expect(detect('Evil.Example.COM.')).toEqual({ type: 'domain', value: 'evil.example.com' });
    expect(detect('bücher.example')).toEqual({ type: 'domain', value: 'xn--bcher-kva.example' });
    expect(detect('evil[.]example[.]com')).toEqual({ type: 'domain', value: 'evil.example.com' });
    expect(detect('not a domain')).toBeNull();
    expect(detect('localhost')).toBeNull();
  });

  it('accepts defanged URLs and gives the WHATWG canonical form without fragment or default port', () => {
    expect(detect('hxxps://Evil.Example.com:443/Path?q=1#frag')).toEqual({ type: 'url', value: 'https://evil.example.com/Path?q=1' });
    expect(detect('hxxp[:]//bad[.]example/x')).toEqual({ type: 'url', value: 'http://bad.example/x' });
    expect(refang('hxxp[://]bad(.)example')).toBe('http://bad.example');
    expect(detect('javascript://x')).toBeNull();
    expect(detect('bad.example/gate.php?id=1')).toEqual({ type: 'url', value: 'http://bad.example/gate.php?id=1' });
    expect(detect('hxxpfoo.example')).toEqual({ type: 'domain', value: 'hxxpfoo.example' });
  });

  it('detects hashes by length and alphabet, lower-cased', () => {
    expect(detect('D41D8CD98F00B204E9800998ECF8427E')).toEqual({ type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' });
    expect(detect('da39a3ee5e6b4b0d3255bfef95601890afd80709')?.type).toBe('sha1');
    expect(detect('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')?.type).toBe('sha256');
    expect(detect('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85z')).toBeNull();
  });

  it('checks containment of addresses and narrower ranges in a CIDR range', () => {
    const range = parseRange('198.51.100.0/24');
    const v6 = parseRange('2001:db8::/32');
    if (!range || !v6) throw new Error('ranges must parse');
    expect(rangeContains(range, parseRange('198.51.100.200') ?? range)).toBe(true);
    expect(rangeContains(range, parseRange('198.51.101.1') ?? range)).toBe(false);
    expect(rangeContains(range, parseRange('198.51.100.128/25') ?? range)).toBe(true);
    expect(rangeContains(range, parseRange('198.51.0.0/16') ?? range)).toBe(false);
    expect(rangeContains(v6, parseRange('2001:db8:ffff::1') ?? v6)).toBe(true);
    expect(rangeContains(v6, parseRange('2001:db9::1') ?? v6)).toBe(false);
    expect(rangeContains(v6, parseRange('198.51.100.1') ?? v6)).toBe(false);
  });
});

// The offline answer must name the same canonical value the server stores: one contract, two
// implementations (the server's uses node:url, the client's the browser's URL parser).

describe('client and server normalizers agree', () => {
  const samples = [
    '203.0.113.9', '203[.]0[.]113[.]9', '010.001.002.003', '203.0.113.9:443', '::ffff:198.51.100.1', '2001:DB8:0:0:1:0:0:1', '[2001:db8::1]:8443', 'fe80::1',
    '198.51.100.77/24', '198.51.100.77/32', '2001:db8:abcd::1/48', '0.0.0.0/0', '10.0.0.0/33',
    'Evil.Example.COM.', 'bücher.example', 'evil[.]example(.)com', 'mal_ware.example.net', 'localhost', '1.2.3', 'a..example',
    'hxxps://Evil.Example.com:443/Path?q=1#frag', 'hxxp[:]//bad[.]example/x', 'HTTP://EXAMPLE.com:80/a b', 'ftp://files.example/x', 'javascript://x', 'bad.example/gate.php?id=1',
    'D41D8CD98F00B204E9800998ECF8427E', 'da39a3ee5e6b4b0d3255bfef95601890afd80709', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'deadbeef', '',
  ];
  it.each(samples)('%s', (sample) => {
    const server = serverDetect(sample);
    expect(detect(sample)).toEqual(server ? { type: server.type, value: server.value } : null);
  });
});

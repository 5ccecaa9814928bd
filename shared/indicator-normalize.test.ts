/**
 * The one indicator normalizer (server and device): canonical forms, defanging, never-public
 * ranges and containment.
 */
import { describe, expect, it } from 'vitest';
import { cidrContains, detect, isNonRoutable, parseRange, rangeContains, undefang } from './indicator-normalize.ts';

/** What the device's offline lookup keeps of a detection: type and canonical value. */
const typeAndValue = (raw: string): { type: string; value: string } | null => {
  const d = detect(raw);
  return d ? { type: d.type, value: d.value } : null;
};

describe('IN6: detect', () => {
  it('canonicalises IPv4 and IPv6 addresses', () => {
    expect(detect('  192.0.2.10 ')).toEqual({ type: 'ipv4', value: '192.0.2.10', net: '192.0.2.10' });
    expect(detect('010.001.002.003')).toEqual({ type: 'ipv4', value: '10.1.2.3', net: '10.1.2.3' });
    expect(detect('2001:0DB8:0000:0000:0000:0000:0000:0001')?.value).toBe('2001:db8::1');
    expect(detect('2001:db8:0:0:1:0:0:1')?.value).toBe('2001:db8::1:0:0:1');
    expect(detect('2001:db8:0:1:1:1:1:1')?.value).toBe('2001:db8:0:1:1:1:1:1');
    expect(detect('::')?.value).toBe('::');
    expect(detect('::ffff:198.51.100.7')).toEqual({ type: 'ipv4', value: '198.51.100.7', net: '198.51.100.7' });
    expect(detect('1.2.3.256')).toBeNull();
    expect(detect('1:2:3:4:5:6:7:8:9')).toBeNull();
    expect(detect('1::2::3')).toBeNull();
  });

  it('drops the port of ip:port values', () => {
    expect(detect('45.137.22.98:443')?.value).toBe('45.137.22.98');
    expect(detect('[2001:db8::5]:8080')?.value).toBe('2001:db8::5');
  });

  it('canonicalises CIDR ranges to their network address', () => {
    expect(detect('1.2.3.4/24')).toEqual({ type: 'cidr', value: '1.2.3.0/24', net: '1.2.3.0/24' });
    expect(detect('1.2.3.4/32')).toEqual({ type: 'ipv4', value: '1.2.3.4', net: '1.2.3.4' });
    expect(detect('2001:db8:abcd::1/48')?.value).toBe('2001:db8:abcd::/48');
    expect(detect('2001:db8::1/128')?.type).toBe('ipv6');
    expect(detect('1.2.3.0/33')).toBeNull();
  });

  it('canonicalises domains: lower case, trailing dot, IDNA', () => {
    expect(detect('Evil.Example.COM.')).toEqual({ type: 'domain', value: 'evil.example.com' });
    expect(detect('bücher.example')).toEqual({ type: 'domain', value: 'xn--bcher-kva.example' });
    expect(detect('bad_host.example.org')?.value).toBe('bad_host.example.org');
    expect(detect('localhost')).toBeNull();
    expect(detect('-bad.example.com')).toBeNull();
    expect(detect('a..b.com')).toBeNull();
    expect(detect(`${'a'.repeat(64)}.com`)).toBeNull();
  });

  it('accepts defanged URLs and canonicalises them', () => {
    expect(detect('hxxp://Evil[.]Example(.)com:80/Path?q=1#frag')).toEqual({ type: 'url', value: 'http://evil.example.com/Path?q=1' });
    expect(detect('hxxps[:]//example[.]org:443')?.value).toBe('https://example.org/');
    expect(detect('HTTPS://EXAMPLE.org:8443/a b')).toBeNull();
    expect(detect('https://example.org:8443/a%20b')?.value).toBe('https://example.org:8443/a%20b');
    expect(detect('evil[.]example[.]com')?.value).toBe('evil.example.com');
    expect(detect('1[.]2[.]3[.]4')?.value).toBe('1.2.3.4');
    expect(detect('example.com/malware.exe')?.value).toBe('http://example.com/malware.exe');
    expect(detect('cafe.be/1')?.value).toBe('http://cafe.be/1');
    expect(detect('javascript://x.com')).toBeNull();
  });

  it('detects hashes by length and alphabet', () => {
    expect(detect('D41D8CD98F00B204E9800998ECF8427E')).toEqual({ type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' });
    expect(detect('da39a3ee5e6b4b0d3255bfef95601890afd80709')?.type).toBe('sha1');
    expect(detect('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')?.type).toBe('sha256');
    expect(detect('d41d8cd98f00b204e9800998ecf8427')).toBeNull();
    expect(detect('g41d8cd98f00b204e9800998ecf8427e')).toBeNull();
  });

  it('returns null for text that is no indicator', () => {
    for (const raw of ['', 'hello world', 'CVE-2021-44228', 'user@example.com', 'mailto:x@example.com']) expect(detect(raw)).toBeNull();
  });
});

describe('IN6: undefang', () => {
  it('undoes the common defanging styles', () => {
    expect(undefang('hxxps://a[.]b{.}c[dot]d/x')).toBe('https://a.b.c.d/x');
    expect(undefang('fxp://files[.]example[.]com')).toBe('ftp://files.example.com');
  });
});

describe('IN7: isNonRoutable', () => {
  it('names private, loopback, link-local, CGNAT, multicast, reserved and documentation ranges', () => {
    for (const v of [
      '10.1.2.3',
      '172.31.255.255',
      '192.168.0.1',
      '127.0.0.1',
      '169.254.1.1',
      '100.64.0.1',
      '224.0.0.251',
      '255.255.255.255',
      '0.0.0.0',
      '192.0.2.5',
      '198.51.100.0/24',
      '203.0.113.9',
      '::1',
      'fe80::1',
      'fd00::1',
      'ff02::1',
      '2001:db8::1',
      '::ffff:10.0.0.1',
    ]) {
      expect(isNonRoutable(v), v).toBe(true);
    }
  });

  it('refuses ranges that overlap a non-routable one', () => {
    expect(isNonRoutable('0.0.0.0/0')).toBe(true);
    expect(isNonRoutable('8.0.0.0/4')).toBe(true);
    expect(isNonRoutable('10.20.0.0/16')).toBe(true);
  });

  it('leaves public addresses and ranges alone', () => {
    for (const v of ['8.8.8.8', '1.10.16.0/20', '172.32.0.1', '100.128.0.1', '2a00:1450::1', '2606:4700::/32']) expect(isNonRoutable(v), v).toBe(false);
    expect(isNonRoutable('example.com')).toBe(false);
  });
});

describe('cidrContains', () => {
  it('matches addresses and ranges inside a range', () => {
    expect(cidrContains('1.2.3.0/24', '1.2.3.200')).toBe(true);
    expect(cidrContains('1.2.3.0/24', '1.2.4.1')).toBe(false);
    expect(cidrContains('1.2.0.0/16', '1.2.3.0/24')).toBe(true);
    expect(cidrContains('1.2.3.0/24', '1.2.0.0/16')).toBe(false);
    expect(cidrContains('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(cidrContains('2001:db8::/32', '1.2.3.4')).toBe(false);
  });
});

describe('IN6: the device-side rules (formerly client/local/intel-normalize.ts)', () => {
  it('detects IPv4 (ports dropped, leading zeros decimal) and refuses out-of-range octets', () => {
    expect(typeAndValue(' 203.0.113.9 ')).toEqual({ type: 'ipv4', value: '203.0.113.9' });
    expect(typeAndValue('203[.]0[.]113[.]9')).toEqual({ type: 'ipv4', value: '203.0.113.9' });
    expect(typeAndValue('256.1.1.1')).toBeNull();
    expect(typeAndValue('010.1.1.1')).toEqual({ type: 'ipv4', value: '10.1.1.1' });
    expect(typeAndValue('203.0.113.9:8443')).toEqual({ type: 'ipv4', value: '203.0.113.9' });
    expect(typeAndValue('::ffff:203.0.113.9')).toEqual({ type: 'ipv4', value: '203.0.113.9' });
    expect(typeAndValue('203.0.113.9 extra')).toBeNull();
    expect(typeAndValue('1.2.3')).toBeNull();
  });

  it('gives IPv6 its canonical compressed lower-case form, also as Suricata writes it (zero-padded)', () => {
    expect(typeAndValue('2001:0DB8:0000:0000:0000:0000:0000:0001')).toEqual({ type: 'ipv6', value: '2001:db8::1' });
    expect(typeAndValue('2a00:1450:4001:0829:0000:0000:0000:200e')).toEqual({ type: 'ipv6', value: '2a00:1450:4001:829::200e' });
    expect(typeAndValue('[2001:db8::1]')).toEqual({ type: 'ipv6', value: '2001:db8::1' });
    expect(typeAndValue('[2001:db8::1]:443')).toEqual({ type: 'ipv6', value: '2001:db8::1' });
    expect(typeAndValue('2001:db8:0:1:0:0:0:1')).toEqual({ type: 'ipv6', value: '2001:db8:0:1::1' });
  });

  it('lower-cases domains, keeps URL paths in their case and undoes defanging', () => {
    expect(typeAndValue('hxxps://Evil.Example.com:443/Path?q=1#frag')).toEqual({ type: 'url', value: 'https://evil.example.com/Path?q=1' });
    expect(typeAndValue('hxxp[:]//bad[.]example/x')).toEqual({ type: 'url', value: 'http://bad.example/x' });
    expect(typeAndValue('HXXP[:]//EVIL[.]EXAMPLE/Document/Invoice.PDF')).toEqual({ type: 'url', value: 'http://evil.example/Document/Invoice.PDF' });
    expect(typeAndValue('http://bücher.example/Über')).toEqual({ type: 'url', value: 'http://xn--bcher-kva.example/%C3%9Cber' });
    expect(undefang('hxxp[://]bad(.)example')).toBe('http://bad.example');
    expect(typeAndValue('bad.example/gate.php?id=1')).toEqual({ type: 'url', value: 'http://bad.example/gate.php?id=1' });
    expect(typeAndValue('hxxpfoo.example')).toEqual({ type: 'domain', value: 'hxxpfoo.example' });
    expect(typeAndValue('ПРИМЕР.рф')).toEqual({ type: 'domain', value: 'xn--e1afmkfd.xn--p1ai' });
    expect(typeAndValue('münchen。de')).toEqual({ type: 'domain', value: 'xn--mnchen-3ya.de' });
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
    expect(parseRange('10.0.0.0/33')).toBeNull();
    expect(parseRange('10.0.0.0/8/1')).toBeNull();
  });
});

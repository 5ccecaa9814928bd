import { describe, expect, it } from 'vitest';
import { canonicalUrl, canonicalUrlObservable, isNonPublicIndicator, isNonRoutable } from './intel-values.ts';

describe('IN7: the never-public classification', () => {
  it('names private, loopback, link-local, multicast, broadcast, reserved and documentation ranges, IPv4 and IPv6', () => {
    for (const v of [
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '127.0.0.1',
      '169.254.1.1',
      '100.64.0.1',
      '224.0.0.251',
      '239.255.255.250',
      '255.255.255.255',
      '240.0.0.1',
      '192.0.2.7',
      '198.51.100.1',
      '203.0.113.9',
      '0.0.0.0',
    ]) {
      expect(isNonRoutable(v), v).toBe(true);
    }
    for (const v of ['::1', '::', 'fe80::1', 'fd00::1', 'ff02::fb', '2001:db8::1', '3fff::1', '::ffff:10.0.0.1']) expect(isNonRoutable(v), v).toBe(true);
    // FireHOL level1's ranges, and a range that only overlaps one.
    for (const v of ['10.0.0.0/8', '224.0.0.0/3', '192.168.0.0/16', '0.0.0.0/1']) expect(isNonRoutable(v), v).toBe(true);
    for (const v of ['45.155.205.233', '8.8.8.8', '185.220.101.0/24', '2a0e:1c80::1', 'evil.example']) expect(isNonRoutable(v), v).toBe(false);
  });

  it('covers URLs on such an address, not names', () => {
    expect(isNonPublicIndicator('url', 'http://10.1.2.3/admin')).toBe(true);
    expect(isNonPublicIndicator('url', 'http://[fe80::1]/x')).toBe(true);
    expect(isNonPublicIndicator('url', 'http://45.155.205.233/x')).toBe(false);
    expect(isNonPublicIndicator('url', 'http://intranet.example/x')).toBe(false);
    expect(isNonPublicIndicator('domain', '10.in-addr.example')).toBe(false);
    expect(isNonPublicIndicator('cidr', '224.0.0.0/3')).toBe(true);
  });
});

describe('IN6: the canonical URL', () => {
  it('lower-cases scheme and host, drops the default port and fragment, keeps path and query as written', () => {
    expect(canonicalUrl('HTTP://Evil.Example:80/Document/Invoice.PDF?Id=AbC#Top')).toBe('http://evil.example/Document/Invoice.PDF?Id=AbC');
    expect(canonicalUrl('https://evil.example:8443/X')).toBe('https://evil.example:8443/X');
    expect(canonicalUrl('mailto:a@b.example')).toBeNull();
  });

  it('undoes defanging for observables, and reads a scheme-less host/path as http', () => {
    expect(canonicalUrlObservable('hxxp://evil[.]example/Document/Invoice.PDF')).toBe('http://evil.example/Document/Invoice.PDF');
    expect(canonicalUrlObservable('Evil.example/Stage2.BIN')).toBe('http://evil.example/Stage2.BIN');
    expect(canonicalUrlObservable('not a url')).toBeNull();
  });
});

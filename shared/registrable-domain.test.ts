/** The registrable domain under the Public Suffix List (tldts). */
import { describe, expect, it } from 'vitest';
import { registrableDomain } from './registrable-domain.ts';

describe('registrableDomain', () => {
  it('keeps the label under the public suffix, with common multi-part suffixes', () => {
    expect(registrableDomain('a.b.example.com')).toBe('example.com');
    expect(registrableDomain('www.shop.example.co.uk')).toBe('example.co.uk');
    expect(registrableDomain('login.example.com.au')).toBe('example.com.au');
    expect(registrableDomain('evil.duckdns.org')).toBe('evil.duckdns.org');
    expect(registrableDomain('example.com')).toBe('example.com');
    expect(registrableDomain('co.uk')).toBeNull();
    expect(registrableDomain('1.2.3.4')).toBeNull();
  });

  it('reads the whole Public Suffix List, ICANN and private sections', () => {
    // Suffixes the former built-in list of multi-part suffixes did not know.
    expect(registrableDomain('shop.example.co.at')).toBe('example.co.at');
    expect(registrableDomain('a.b.example.com.es')).toBe('example.com.es');
    expect(registrableDomain('www.city.kawasaki.jp')).toBe('city.kawasaki.jp');
    expect(registrableDomain('payload.bucket.s3.amazonaws.com')).toBe('bucket.s3.amazonaws.com');
    expect(registrableDomain('x.phish.web.app')).toBe('phish.web.app');
    // Defanged, upper-case and IDN input goes through the normalizer first.
    expect(registrableDomain('Login.Evil[.]Example[.]CO[.]UK')).toBe('example.co.uk');
    expect(registrableDomain('www.bücher.example.de')).toBe('example.de');
    expect(registrableDomain('shop.пример.рф')).toBe('xn--e1afmkfd.xn--p1ai');
    expect(registrableDomain('github.io')).toBeNull();
    expect(registrableDomain('not a domain')).toBeNull();
  });
});

/**
 * The registrable domain of a host name under the Public Suffix List, read through `tldts`
 * (ICANN and private sections, so `x.evil.duckdns.org` → `evil.duckdns.org`, each customer of a
 * hosting suffix being its own registrant). Input goes through the indicator normalizer first
 * (defanged, upper-case, IDN). Its own module, not part of indicator-normalize.ts: the suffix
 * list is ~170 kB of code (~75 kB gzipped) that the client's bundle, which imports the
 * normalizer, must not carry; import this one lazily if the device ever needs it.
 */
import { getDomain } from 'tldts';
import { canonicalDomain } from './indicator-normalize.ts';
import { undefang } from './intel-values.ts';

// The value is already a canonical host name: no URL to extract, no second validation (which
// would refuse the underscores of real malware host names).
const PSL_OPTIONS = { allowPrivateDomains: true, extractHostname: false, validateHostname: false } as const;

/**
 * The registrable domain (`a.b.example.co.uk` → `example.co.uk`), or null for a non-domain or a
 * bare public suffix (`co.uk`, `github.io`).
 */
export function registrableDomain(domain: string): string | null {
  const canonical = canonicalDomain(undefang(domain));
  return canonical ? getDomain(canonical, PSL_OPTIONS) : null;
}

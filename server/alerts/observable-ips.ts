/**
 * Alert addresses in one text: IPv6 in RFC 5952 short form (`2001:db8::1`, not Suricata's
 * zero-padded `2001:0db8:0000:…:0001`), IPv4 without leading zeros — the form intel indicators
 * are stored in (shared/indicator-normalize.ts), so an alert's address correlates with incidents and
 * matches indicators whatever its tool wrote.
 */
import type { AlertInput } from '../../shared/alerts-api.ts';
import { detect } from '../../shared/indicator-normalize.ts';

/** The canonical text of an address; anything that is no single address is returned trimmed. */
function canonicalIp(raw: string): string {
  const found = detect(raw);
  return found && (found.type === 'ipv4' || found.type === 'ipv6') ? found.value : raw.trim();
}

/** The alert with its `observables.ips` canonical and de-duplicated. */
export function withCanonicalIps(alert: AlertInput): AlertInput {
  const ips = alert.observables?.ips;
  if (!ips?.length) return alert;
  return { ...alert, observables: { ...alert.observables, ips: [...new Set(ips.map(canonicalIp))] } };
}

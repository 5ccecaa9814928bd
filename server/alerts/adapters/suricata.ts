/**
 * Suricata EVE JSON `alert` events → native alerts; the other event types of an eve.json are
 * ignored (not failed). EVE severity is 1 (high) to 3 (low), 4 for
 * informational; `alert.metadata.signature_severity` ("Critical", "Major") raises impact.
 */
import { err, ok } from '../../../shared/result.ts';
import { compact, ignored, isRecord, isoTime, num, str, strings, type AdapterResult } from './payload.ts';

/** What an EVE event_type looks like (dns, flow, smb, …); anything else is a malformed event. */
const EVENT_TYPE = /^[a-z][a-z0-9_-]{0,39}$/i;
const IMPACT_BY_SEVERITY: Record<number, number> = { 1: 4, 2: 3, 3: 2, 4: 1 };

export function fromSuricata(e: unknown): AdapterResult {
  if (!isRecord(e)) return err(['event: expected a JSON object']);
  const kind = str(e, 'event_type');
  // An eve.json interleaves alerts with dns, flow, http, tls, stats, fileinfo, anomaly… records.
  if (kind !== undefined && kind !== 'alert' && EVENT_TYPE.test(kind)) return ignored(`ignored: event_type ${kind}`);
  if (kind !== 'alert') return err([`event_type: expected "alert", got ${kind === undefined ? 'nothing' : JSON.stringify(kind.slice(0, 64))}`]);
  const signature = str(e, 'alert.signature');
  if (!signature) return err(['alert.signature: required']);
  const sev = num(e, 'alert.severity') ?? 3;
  const sigSeverity = str(e, 'alert.metadata.signature_severity')?.toLowerCase();
  let impact = IMPACT_BY_SEVERITY[Math.round(sev)] ?? 2;
  if (sigSeverity === 'critical') impact = 5;
  const blocked = str(e, 'alert.action') === 'blocked';
  const host = str(e, 'http.hostname');
  const path = str(e, 'http.url');
  const url = host && path ? `${path.startsWith('http') ? '' : 'http://' + host}${path}` : undefined;
  return ok(
    compact({
      source: 'suricata',
      type: str(e, 'alert.category') ?? 'alert',
      title: signature,
      impact,
      likelihood: blocked ? 2 : 3,
      confidence: 4,
      observed_at: isoTime(e['timestamp']),
      observables: {
        ips: strings(e, 'src_ip', 'dest_ip'),
        domains: strings(e, 'http.hostname', 'tls.sni', 'dns.rrname', 'dns.query.0.rrname'),
        urls: url ? [url] : [],
        hashes: strings(e, 'fileinfo.sha256', 'fileinfo.md5'),
      },
      context: compact({
        signature_id: num(e, 'alert.signature_id'),
        rev: num(e, 'alert.rev'),
        action: str(e, 'alert.action'),
        severity: sev,
        proto: str(e, 'proto'),
        app_proto: str(e, 'app_proto'),
        src_port: num(e, 'src_port'),
        dest_port: num(e, 'dest_port'),
        flow_id: num(e, 'flow_id'),
        sensor: str(e, 'host'),
        in_iface: str(e, 'in_iface'),
      }),
    }),
  );
}

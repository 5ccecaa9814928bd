/**
 * Enrichment reads (run in a dry run too; they change nothing):
 *
 * enrich.virustotal  GET {virustotal}/api/v3/{ip_addresses|domains|files|urls}/{id}   header x-apikey
 *                    (url ids are the unpadded base64url of the URL, as VirusTotal defines them)
 * enrich.abuseipdb   GET {abuseipdb}/api/v2/check?ipAddress=&maxAgeInDays=           header Key
 *
 * A 404 from VirusTotal means "never seen" and is a result (`found: false`), not a failure.
 * Output: a small summary (scores, counts) plus the tool's `data` object.
 */
import { z } from 'zod';
import { callConnector, seg } from './connector-call.ts';
import { defineAction, type ActionDef, type Json } from './types.ts';

const VT_KINDS = { ip: 'ip_addresses', domain: 'domains', hash: 'files', url: 'urls' } as const;
type VtKind = keyof typeof VT_KINDS;

function guessKind(value: string): VtKind {
  if (/^(\d{1,3}\.){3}\d{1,3}$/.test(value) || (value.includes(':') && /^[0-9a-f:.]+$/i.test(value))) return 'ip';
  if (/^([a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64})$/i.test(value)) return 'hash';
  if (/^https?:\/\//i.test(value)) return 'url';
  return 'domain';
}

const obj = (v: Json | undefined): Record<string, Json> => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
const num = (v: Json | undefined): number | null => (typeof v === 'number' ? v : null);

const virustotal = defineAction({
  name: 'enrich.virustotal',
  description: 'Look up an IP, domain, file hash or URL on VirusTotal.',
  input: z.object({ indicator: z.string().trim().min(1).max(2_048), kind: z.enum(['ip', 'domain', 'hash', 'url']).optional() }).strict(),
  effect: false,
  connector: 'virustotal',
  run: async (i, ctx): Promise<Json> => {
    const value = i.indicator;
    const kind = i.kind ?? guessKind(value);
    const id = kind === 'url' ? Buffer.from(value).toString('base64url') : value;
    const res = obj(
      await callConnector(ctx, 'virustotal', { method: 'GET', path: `/api/v3/${VT_KINDS[kind]}/${seg(id)}`, effect: false, expected: ['2xx', 404] }),
    );
    if (res['status'] === 404) return { kind, value, found: false, malicious: 0, suspicious: 0, harmless: 0, undetected: 0, reputation: null };
    const data = obj(obj(res['body'])['data']);
    const attrs = obj(data['attributes']);
    const stats = obj(attrs['last_analysis_stats']);
    return {
      kind,
      value,
      found: true,
      malicious: num(stats['malicious']) ?? 0,
      suspicious: num(stats['suspicious']) ?? 0,
      harmless: num(stats['harmless']) ?? 0,
      undetected: num(stats['undetected']) ?? 0,
      reputation: num(attrs['reputation']),
      data,
    };
  },
});

const abuseipdb = defineAction({
  name: 'enrich.abuseipdb',
  description: "Check an IP address's abuse reports on AbuseIPDB.",
  input: z.object({ ip: z.union([z.ipv4(), z.ipv6()]), max_age_days: z.int().min(1).max(365).default(90) }).strict(),
  effect: false,
  connector: 'abuseipdb',
  run: async (i, ctx): Promise<Json> => {
    const res = obj(
      await callConnector(ctx, 'abuseipdb', {
        method: 'GET',
        path: '/api/v2/check',
        query: { ipAddress: i.ip, maxAgeInDays: String(i.max_age_days) },
        effect: false,
      }),
    );
    const data = obj(obj(res['body'])['data']);
    return {
      ip: i.ip,
      abuse_confidence_score: num(data['abuseConfidenceScore']) ?? 0,
      total_reports: num(data['totalReports']) ?? 0,
      country_code: typeof data['countryCode'] === 'string' ? data['countryCode'] : null,
      is_whitelisted: data['isWhitelisted'] === true,
      data,
    };
  },
});

export const ENRICH_ACTIONS: readonly ActionDef[] = [virustotal, abuseipdb];

/**
 * Column mappings for the common CSV feeds (abuse.ch exports, PhishTank), for the feed admin
 * to start from. Pure data: the client may show the same list.
 */
import type { z } from 'zod';
import type { feedOptionsSchema } from '../../../shared/intel-api.ts';

type FeedOptions = z.infer<typeof feedOptionsSchema>;

export const CSV_PRESETS = {
  /** https://feodotracker.abuse.ch/downloads/ipblocklist.csv */
  feodo_tracker: { header: true, columns: { value: 'dst_ip', first_seen: 'first_seen_utc', last_seen: 'last_online', malware: 'malware' } },
  /** https://urlhaus.abuse.ch/downloads/csv_recent/ */
  urlhaus: { header: true, columns: { value: 'url', first_seen: 'dateadded', last_seen: 'last_online', tags: 'tags' } },
  /** https://threatfox.abuse.ch/export/csv/recent/ */
  threatfox: {
    header: true,
    columns: {
      value: 'ioc_value',
      type: 'ioc_type',
      first_seen: 'first_seen_utc',
      last_seen: 'last_seen_utc',
      malware: 'malware_printable',
      confidence: 'confidence_level',
      tags: 'tags',
    },
  },
  /** https://bazaar.abuse.ch/export/csv/recent/ */
  malwarebazaar: { header: true, columns: { value: 'sha256_hash', first_seen: 'first_seen_utc', malware: 'signature' } },
  /** https://data.phishtank.com/data/online-valid.csv */
  phishtank: { header: true, columns: { value: 'url', first_seen: 'submission_time', tags: 'target' } },
} as const satisfies Record<string, FeedOptions>;

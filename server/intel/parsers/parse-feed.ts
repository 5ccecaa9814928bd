/**
 * One entry point for the feed runner: parses a feed body by its format and reports progress.
 * 'taxii' feeds are not a body: see taxii.ts `fetchTaxiiObjects` + stix.ts `parseStixObjects`;
 * 'misp' bodies are single event files (misp.ts `mispEventUrls` lists them from the manifest).
 */
import type { z } from 'zod';
import type { FeedFormat, feedOptionsSchema } from '../../../shared/intel-api.ts';
import { parseCsv } from './csv.ts';
import { parseJson } from './json.ts';
import { parseMispEvent } from './misp.ts';
import { parsePlain } from './plain.ts';
import { parseStixBundle } from './stix.ts';
import { PROGRESS_EVERY, type OnProgress, type ParseEvent, type ParserInput } from './types.ts';

export type BodyFormat = Exclude<FeedFormat, 'taxii'>;
type FeedOptions = z.infer<typeof feedOptionsSchema>;

export function parseFeed(format: BodyFormat, options: FeedOptions, input: ParserInput, onProgress?: OnProgress): AsyncGenerator<ParseEvent> {
  const events =
    format === 'plain'
      ? parsePlain(input)
      : format === 'csv'
        ? parseCsv(input, options)
        : format === 'json'
          ? parseJson(input, options)
          : format === 'misp'
            ? parseMispEvent(input)
            : parseStixBundle(input);
  return onProgress ? withProgress(events, onProgress) : events;
}

/** Passes events through, calling `onProgress` every PROGRESS_EVERY events and at the end. */
async function* withProgress(events: AsyncIterable<ParseEvent>, onProgress: OnProgress): AsyncGenerator<ParseEvent> {
  const progress = { records: 0, items: 0, skipped: 0 };
  for await (const event of events) {
    progress.records++;
    if (event.item) progress.items++;
    else if (event.skipped) progress.skipped++;
    if (progress.records % PROGRESS_EVERY === 0) onProgress({ ...progress });
    yield event;
  }
  onProgress({ ...progress });
}

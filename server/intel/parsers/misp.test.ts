import { describe, expect, it } from 'vitest';
import { chunked, collect, fixtureText } from './fixtures/stream.ts';
import { mispEventUrls, mispManifestUrl } from './misp.ts';
import { parseFeed } from './parse-feed.ts';

describe('MISP feeds', () => {
  it('lists event files from the manifest, oldest first, ignoring non-UUID keys', () => {
    const manifest = JSON.parse(fixtureText('misp-manifest.json')) as unknown;
    expect(mispManifestUrl('https://misp.example.org/feed-osint')).toBe('https://misp.example.org/feed-osint/manifest.json');
    expect(mispEventUrls('https://misp.example.org/feed-osint/', manifest)).toEqual([
      {
        uuid: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
        url: 'https://misp.example.org/feed-osint/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d.json',
        timestamp: 1759300000,
      },
      {
        uuid: '5f4d3c2b-1a09-4e8d-b7c6-a5f4e3d2c1b0',
        url: 'https://misp.example.org/feed-osint/5f4d3c2b-1a09-4e8d-b7c6-a5f4e3d2c1b0.json',
        timestamp: 1763550000,
      },
    ]);
    expect(mispEventUrls('https://misp.example.org/feed-osint/', manifest, 1760000000).map((r) => r.timestamp)).toEqual([1763550000]);
    expect(mispEventUrls('https://misp.example.org/', 'nonsense')).toEqual([]);
  });

  it('parses an event: to_ids attributes, object attributes, tags, galaxies and TLP', async () => {
    const { items, skipped } = await collect(parseFeed('misp', {}, chunked(fixtureText('misp-event.json'), 50)));
    expect(items.map((i) => [i.type, i.value])).toEqual([
      ['ipv4', '91.92.240.118'],
      ['ipv4', '91.92.240.119'],
      ['domain', 'cdn-update.example.shop'],
      ['url', 'https://cdn-update.example.shop/gate.php'],
      ['sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      ['md5', 'd41d8cd98f00b204e9800998ecf8427e'],
    ]);
    expect(items[0]).toMatchObject({
      tlp: 'green',
      tags: ['type:OSINT'],
      malware: ['Lumma Stealer'],
      actors: ['Storm-0000'],
      techniques: ['T1566'],
      first_seen: '2025-11-19T11:00:00.000Z',
    });
    // The attribute's own tags add to the event's and its TLP wins.
    expect(items[2]).toMatchObject({ tlp: 'amber', techniques: ['T1566', 'T1071'] });
    expect(skipped.map((s) => [s.text, s.reason])).toEqual([
      ['comment: Seen in phishing mails', 'unsupported attribute type "comment"'],
      ['domain: benign-context.example.com', 'to_ids is false (context, not for detection)'],
      ['hostname: bad..host', expect.stringContaining('not an IP')],
    ]);
  });

  it('IN1: reports a file that is not an event', async () => {
    const { skipped } = await collect(parseFeed('misp', {}, chunked(fixtureText('misp-manifest.json'))));
    expect(skipped).toEqual([{ line: null, text: '', reason: 'not a MISP event: expected { "Event": { … } }' }]);
  });
});

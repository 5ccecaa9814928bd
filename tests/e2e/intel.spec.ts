/**
 * Threat intel in the browser: a push feed and a slow pulled feed (live progress), the feed form's
 * refusals and a CSV edit, decay models and allow-list saved, lookups online and offline (the
 * local copy, marked), search and detail, and the incident's matches panel after an alert.
 * Needs the server started with `intel: { allowPrivateFeedUrls: true }` (global-setup.ts) for the
 * local feed server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIRequestContext, Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, tokenRequest } from './api-token.ts';
import { adminRequest, launchBrowser, newAnalyst, type Analyst } from './browser.ts';

let browser: Browser;
let admin: APIRequestContext;
let token: APIRequestContext;
let feedServer: Server;
let feedUrl: string;
let ada: Analyst;

beforeAll(async () => {
  browser = await launchBrowser();
  admin = await adminRequest();
  token = await tokenRequest(admin, 'admin');
  // 200,000 addresses sent in slices over a few seconds, so the run is seen moving.
  const lines = `${Array.from({ length: 200_000 }, (_, i) => `45.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`).join('\n')}\n`;
  feedServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(lines) });
    let offset = 0;
    const next = (): void => {
      if (offset >= lines.length) return void res.end();
      res.write(lines.slice(offset, offset + 100_000));
      offset += 100_000;
      setTimeout(next, 150);
    };
    next();
  });
  await new Promise<void>((resolve) => feedServer.listen(0, '127.0.0.1', resolve));
  feedUrl = `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}/list.txt`;
  ada = await newAnalyst(browser, admin, 'Ada Intel', 'admin');
});

afterAll(async () => {
  feedServer?.close();
  await browser?.close();
  await token?.dispose();
  await admin?.dispose();
});

describe('threat intel in the browser', () => {
  it('manages feeds: live run progress, form refusals, CSV options, decay models, allow-list', async () => {
    const created = await postJson<{ id: string }>(admin, '/api/v1/feeds', {
      name: 'Sandbox push',
      url: null,
      format: 'plain',
      default_confidence: 90,
      tlp: 'green',
    });
    const push = await token.post(`/api/v1/feeds/${created.id}/push`, {
      headers: { 'content-type': 'text/plain' },
      data: '# test\n45.155.205.9\n185.220.101.0/24\nevil.example.com\n<img src=x onerror=alert(1)>\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n',
    });
    expect(push.status()).toBe(200);
    await postJson(admin, '/api/v1/feeds', { name: 'Slow plain list', url: feedUrl, format: 'plain', enabled: false, default_confidence: 40 });

    const page = ada.page;
    await page.goto('/admin/feeds');
    const pushCard = page.getByTestId('feed').filter({ hasText: 'Sandbox push' });
    expect(await pushCard.getByTestId('feed-last-run').textContent()).toContain('4 added');
    await pushCard.getByText('1 skipped — samples').click();
    expect(await pushCard.locator('.intel-samples code').textContent()).toBe('<img src=x onerror=alert(1)>');

    const slow = page.getByTestId('feed').filter({ hasText: 'Slow plain list' });
    await slow.getByTestId('feed-run-now').click();
    await slow.getByTestId('feed-run-progress').waitFor();
    await expect
      .poll(
        async () =>
          slow
            .getByTestId('feed-run-progress')
            .textContent()
            .catch(() => ''),
        { timeout: 10_000 },
      )
      .toMatch(/parsed · .* of 2\.\d MiB/);
    await slow.getByTestId('feed-run-progress').waitFor({ state: 'detached', timeout: 60_000 });
    await expect.poll(() => slow.getByTestId('feed-last-run').textContent(), { timeout: 10_000 }).toContain('200,000 added');

    await page.getByTestId('feed-new').click();
    await page.getByTestId('feed-save').click();
    expect(await page.getByTestId('feed-form').locator('.field-error').allTextContents()).toEqual([
      'Give the feed a name (up to 200 characters).',
      'An http:// or https:// URL (or choose “Pushed to Sentpilot”).',
    ]);
    await page.getByRole('button', { name: 'Cancel' }).click();

    await pushCard.getByTestId('feed-edit').click();
    await page.getByTestId('feed-format').selectOption('csv');
    await page.getByLabel('value').fill('0');
    await page.getByLabel('malware').fill('malware');
    await page.getByTestId('feed-save').click();
    await page.getByText('Feed Sandbox push saved.').waitFor();
    const feeds = (await (await admin.get('/api/v1/feeds')).json()) as { items: { name: string; format: string; options: unknown }[] };
    expect(feeds.items.find((f) => f.name === 'Sandbox push')).toMatchObject({ format: 'csv', options: { columns: { value: 0, malware: 'malware' } } });

    await page.getByLabel('ipv4 threshold').fill('35');
    await page.getByTestId('decay-save').click();
    await page.getByText('Decay models saved').waitFor();
    const models = (await (await admin.get('/api/v1/intel/decay-models')).json()) as { items: { type: string; threshold: number }[] };
    expect(models.items.find((m) => m.type === 'ipv4')?.threshold).toBe(35);

    await page.getByTestId('allowlist-values').fill('Corp.Example\n10.0.0.0/8\nnot valid!');
    await page.getByTestId('allowlist-save').click();
    expect(await page.locator('[data-testid=allowlist] [role=alert]').textContent()).toBe('Line 3: "not valid!" is not a domain, IP address or range.');
    await page.getByTestId('allowlist-values').fill('Corp.Example\n10.0.0.0/8');
    await page.getByTestId('allowlist-save').click();
    await page.getByText('Allow-list saved (2 values).').waitFor();
    expect(await (await admin.get('/api/v1/intel/allowlist')).json()).toEqual({ values: ['10.0.0.0/8', 'corp.example'] });
  });

  it('looks values up online and, offline, in the marked local copy; searches; shows matches on the incident', async () => {
    const page = ada.page;
    const values = '45[.]155[.]205[.]9\n185.220.101.77\nhxxp://evil[.]example[.]com/x\nclean.example.org\nhello world';
    const matched = async (): Promise<string[]> =>
      page.getByTestId('intel-lookup-row').evaluateAll((rows) => rows.map((r) => r.querySelector('.intel-value')?.textContent ?? ''));
    await page.goto('/intel');
    await page.getByTestId('intel-values').fill(values);
    await page.getByTestId('intel-lookup').click();
    await page.getByTestId('intel-lookup-results').waitFor();
    expect(await matched()).toEqual(['45[.]155[.]205[.]9', '185.220.101.77', 'hxxp://evil[.]example[.]com/x']);
    expect(await page.getByTestId('intel-lookup-results').getByRole('status').textContent()).toContain('3 of 5 values match · 1 not recognised');

    await page.getByTestId('intel-local-refresh').click();
    await expect.poll(() => page.getByTestId('intel-local-status').textContent()).toContain('(4 indicators)');
    await ada.context.setOffline(true);
    await page.getByTestId('intel-lookup').click();
    await page.getByTestId('intel-local-marking').waitFor();
    expect(await page.getByTestId('intel-local-marking').textContent()).toMatch(/^Offline answer\. Local copy from .* ago, high-confidence indicators only/);
    expect(await matched()).toEqual(['45[.]155[.]205[.]9', '185.220.101.77', 'hxxp://evil[.]example[.]com/x']);
    await ada.context.setOffline(false);

    await page.getByTestId('intel-search-q').fill('evil');
    await page.getByTestId('intel-search').click();
    await page.getByTestId('intel-search-row').first().waitFor();
    expect(await page.getByTestId('intel-search-row').count()).toBe(1);
    await page.getByTestId('intel-search-row').getByRole('button').click();
    expect(await page.getByTestId('intel-source').first().textContent()).toContain('Sandbox push');

    // FireHOL level1 lists private and multicast ranges: kept, shown, and said to be ignored.
    const firehol = await postJson<{ id: string }>(admin, '/api/v1/feeds', { name: 'FireHOL level1', url: null, format: 'plain', default_confidence: 90 });
    expect(
      (await token.post(`/api/v1/feeds/${firehol.id}/push`, { headers: { 'content-type': 'text/plain' }, data: '10.0.0.0/8\n224.0.0.0/3\n' })).status(),
    ).toBe(200);
    await page.getByTestId('intel-search-q').fill('10.0.0.0/8');
    await page.getByTestId('intel-search').click();
    await expect.poll(() => page.getByTestId('intel-search-row').allTextContents()).toEqual([expect.stringContaining('10.0.0.0/8')]);
    await page.getByTestId('intel-search-row').getByRole('button').click();
    await expect
      .poll(() =>
        page
          .getByTestId('intel-ignored')
          .textContent()
          .catch(() => ''),
      )
      .toBe('Listed by feed FireHOL level1, ignored: private range');

    const stamp = Date.now();
    const ingested = await postJson<{ items: { incident_id: string }[] }>(token, '/api/v1/alerts', {
      source: 'edr',
      type: 'c2_beacon',
      title: `Beacon ${stamp}`,
      impact: 5,
      likelihood: 4,
      confidence: 4,
      observed_at: new Date(stamp - 60_000).toISOString(),
      observables: { hosts: [`ws-${stamp}.corp.example`], ips: ['185.220.101.201'] },
    });
    await page.goto(`/incidents/${ingested.items[0]?.incident_id ?? ''}`);
    const match = page.getByTestId('intel-match');
    await match.first().waitFor({ timeout: 20_000 });
    expect(await match.getAttribute('data-how')).toBe('arrival');
    expect(await match.textContent()).toContain('matches cidr 185.220.101.0/24');
  });
});

// @vitest-environment node
/**
 * Alerts into incidents, seen from a browser: an alert posted to the API with an admin token
 * opens an incident that appears live in a connected analyst's list and opens with the alert in
 * its timeline and its risk explained; the alerts view lists it with its score and incident,
 * its detail shows the payload as received, and a duplicate raises the count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { adminRequest, launchBrowser, newAnalyst, type Analyst } from './browser.ts';
import { postJson, tokenRequest } from './api-token.ts';

interface IngestResponse {
  items: { index: number; status: string; alert_id: string | null; incident_id: string | null; errors: string[] }[];
}

describe('alerts to incidents', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let api: APIRequestContext;
  let ana: Analyst;

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    api = await tokenRequest(admin);
    ana = await newAnalyst(browser, admin, 'Alex Alert');
  });
  afterAll(async () => {
    await api?.dispose();
    await admin?.dispose();
    await browser?.close();
  });

  it('an alert from the API opens an incident live in a connected browser, with the alert in its timeline', async () => {
    const page = ana.page;
    await page.goto('/');
    await page.getByTestId('incident-list').waitFor();

    const stamp = Date.now();
    const title = `Cobalt Strike beacon on ws-${stamp}`;
    const host = `ws-${stamp}.corp.example`;
    const alert = {
      source: 'edr',
      type: 'c2_beacon',
      title,
      impact: 5,
      likelihood: 4,
      confidence: 4,
      observed_at: new Date(stamp - 60_000).toISOString(),
      observables: { hosts: [host], ips: ['198.51.100.23'] },
      context: { note: '<img src=x onerror=alert(1)>' },
    };
    const res = await postJson<IngestResponse>(api, '/api/v1/alerts', alert);
    const item = res.items[0];
    expect(item?.status).toBe('created');
    const incidentId = item?.incident_id ?? '';
    const alertId = item?.alert_id ?? '';
    expect(incidentId).toMatch(/^[0-9a-f-]{36}$/);

    // The server-created incident reaches the open list without a reload.
    const row = page.getByTestId('incident-row').filter({ hasText: title });
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    await page.waitForURL(new RegExp(`/incidents/${incidentId}$`));
    const entry = page.getByTestId('timeline-entry').filter({ hasText: title }).first();
    await entry.waitFor({ timeout: 15_000 });
    expect(await entry.getByTestId('timeline-alert-link').getAttribute('href')).toBe(`/alerts/${alertId}`);
    // Why this severity: the risk score and its factors.
    await page.getByTestId('risk-panel').waitFor();
    expect(Number(await page.getByTestId('risk-score').textContent())).toBeGreaterThan(0);
    expect(await page.getByTestId('risk-factor').count()).toBeGreaterThan(0);

    // The same alert again is deduplicated: no new incident, the count goes up.
    const again = await postJson<IngestResponse>(api, '/api/v1/alerts', alert);
    expect(again.items[0]?.status).toBe('deduplicated');

    // The alerts view lists it with its score, count and incident; the detail shows the payload as text.
    await page.getByTestId('nav-alerts').click();
    const alertRow = page.getByTestId('alert-row').filter({ hasText: title });
    await alertRow.waitFor({ timeout: 15_000 });
    expect(await alertRow.getByTestId('alert-count').textContent()).toMatch(/^2/);
    expect(await alertRow.getByTestId('alert-incident').count()).toBe(1);
    await alertRow.getByTestId('alert-link').click();
    await page.waitForURL(new RegExp(`/alerts/${alertId}$`));
    await page.getByTestId('alert-detail').waitFor();
    expect(await page.getByTestId('alert-raw').textContent()).toContain('<img src=x onerror=alert(1)>');
    expect(await page.locator('.alert-detail img').count()).toBe(0);

    // Offline, the last page seen is read from the device, "as of" its time.
    await ana.context.setOffline(true);
    try {
      await page.getByTestId('nav-alerts').click();
      await page.getByTestId('alerts-offline').waitFor({ timeout: 15_000 });
      await page.getByTestId('alert-row').filter({ hasText: title }).waitFor();
    } finally {
      await ana.context.setOffline(false);
    }
  });
});

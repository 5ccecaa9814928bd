// @vitest-environment node
/**
 * The incident API driving open screens: an incident created through the API (with a template)
 * opens with its checklist, a PATCH (severity, status) shows up on the open page without a
 * reload, and the triage page lists open incidents in the server's priority order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { adminRequest, launchBrowser, newAnalyst, type Analyst } from './browser.ts';
import { postJson, tokenRequest } from './api-token.ts';

describe('incident API and open screens', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let api: APIRequestContext;
  let ana: Analyst;

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    api = await tokenRequest(admin);
    ana = await newAnalyst(browser, admin, 'Petra Patch');
  });
  afterAll(async () => {
    await api?.dispose();
    await admin?.dispose();
    await browser?.close();
  });

  it('a PATCH through the API shows up in the open incident page without a reload', async () => {
    const title = `Phishing from the API ${Date.now()}`;
    const created = await postJson<{ id: string }>(api, '/api/v1/incidents', { title, template: 'phishing' });
    const page = ana.page;
    await page.goto(`/incidents/${created.id}`);
    await page.getByTestId('timeline').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('task-item').count()).toBe(5);
    expect(await page.getByTestId('field-severity').inputValue()).toBe('S3');
    expect(await page.getByTestId('field-category').inputValue()).toBe('phishing');

    await postJson(api, `/api/v1/incidents/${created.id}`, { severity: 'S1', status: 'triage' }, 'PATCH');
    await expect.poll(() => page.getByTestId('field-severity').inputValue(), { timeout: 10_000 }).toBe('S1');
    await expect.poll(() => page.getByTestId('status-current').textContent(), { timeout: 10_000 }).toMatch(/Triage/);
    // Leaving "new" met the response clock, computed on the device from the document.
    await expect.poll(() => page.getByTestId('sla-response').getAttribute('data-state')).toBe('met');

    // A breach marked through the API starts the clock on the open page.
    await postJson(api, `/api/v1/incidents/${created.id}`, { breach: { regulation: 'gdpr', aware_at: new Date().toISOString() } }, 'PATCH');
    await page.getByTestId('breach-clock').waitFor({ timeout: 10_000 });
  });

  it('the triage page lists open incidents in priority order', async () => {
    const stamp = Date.now();
    const low = await postJson<{ id: string }>(api, '/api/v1/incidents', { title: `Triage low ${stamp}`, severity: 'S5' });
    const top = await postJson<{ id: string }>(api, '/api/v1/incidents', { title: `Triage top ${stamp}`, severity: 'S1' });
    const mid = await postJson<{ id: string }>(api, '/api/v1/incidents', { title: `Triage mid ${stamp}`, severity: 'S3' });
    const page = ana.page;
    await page.goto('/triage');
    await page.getByTestId('triage-list').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('triage-source').textContent()).toMatch(/server/);
    const order = async (): Promise<string[]> => {
      const ids = await page.getByTestId('triage-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id') ?? ''));
      return ids.filter((id) => id === low.id || id === top.id || id === mid.id);
    };
    await expect.poll(order, { timeout: 20_000 }).toEqual([top.id, mid.id, low.id]);
    // Scores are shown and descend along the list.
    const scores = (await page.getByTestId('triage-score').allTextContents()).map(Number);
    expect(scores.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeLessThanOrEqual(scores[i - 1] ?? 0);

    // Offline the queue is computed on the device with the same shared functions.
    await page.goto('/');
    await page
      .getByTestId('incident-row')
      .filter({ hasText: `Triage low ${stamp}` })
      .waitFor({ timeout: 30_000 });
    await ana.context.setOffline(true);
    try {
      await page.getByTestId('nav-triage').click();
      await expect.poll(() => page.getByTestId('triage-source').textContent(), { timeout: 15_000 }).toMatch(/this device/);
      await expect.poll(order).toEqual([top.id, mid.id, low.id]);
    } finally {
      await ana.context.setOffline(false);
    }
  });
});

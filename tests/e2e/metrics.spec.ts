// @vitest-environment node
/**
 * The lead's metrics page: MTTD and the times to contain and resolve over a range, and the
 * range's incidents by status, severity and category, from the server; offline it says where
 * the figures come from and keeps the last ones it loaded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { adminRequest, launchBrowser, newAnalyst, type Analyst } from './browser.ts';

describe('metrics', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let lead: Analyst;

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    lead = await newAnalyst(browser, admin, 'Mira Metrics', 'lead');
  });
  afterAll(async () => {
    await admin?.dispose();
    await browser?.close();
  });

  it('shows MTTD, the time to contain and the breakdowns, and keeps the last figures offline', async () => {
    const { page, context } = lead;
    const now = Date.now();
    const created = await context.request.post('/api/v1/incidents', {
      data: {
        title: `Metrics case ${now}`,
        severity: 'S1',
        category: 'ransomware',
        occurred_at: new Date(now - 3 * 3_600_000).toISOString(),
        detected_at: new Date(now - 3_600_000).toISOString(),
      },
    });
    expect(created.status()).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    for (const status of ['triage', 'containment', 'eradication']) {
      const moved = await context.request.patch(`/api/v1/incidents/${id}`, { data: { status } });
      expect(moved.status(), await moved.text()).toBe(200);
    }
    // Contained when eradication starts; the projection of the change is what the metrics read.
    await expect
      .poll(async () => ((await (await context.request.get('/api/v1/metrics')).json()) as { mttc: { n: number } }).mttc.n, { timeout: 15_000 })
      .toBeGreaterThan(0);

    await page.goto('/');
    await page.getByTestId('nav-metrics').click();
    await page.waitForURL(/\/metrics$/);
    const incidents = page.getByTestId('metric-incidents');
    await expect.poll(async () => Number(await incidents.locator('.metrics-value').textContent()), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId('metric-mttd').getByTestId('metric-median').textContent()).not.toBe('—');
    expect(await page.getByTestId('metric-mttd').textContent()).toMatch(/median over \d+ incident/);
    expect(await page.getByTestId('metric-mttc').getByTestId('metric-median').textContent()).not.toBe('—');
    // The time to contain is MTTC; MTTR is only the time to resolve.
    expect(await page.getByTestId('metric-mttc').getByRole('heading').textContent()).toBe('Time to contain (MTTC)');
    expect(await page.getByText('(MTTR)').count()).toBe(1);
    expect(await page.getByTestId('metric-mttr-resolution').getByRole('heading').textContent()).toBe('Time to resolve (MTTR)');
    await page.getByTestId('metrics-by-severity').locator('tr[data-key="S1"]').waitFor();
    await page.getByTestId('metrics-by-category').getByRole('rowheader', { name: 'Ransomware' }).waitFor();

    // Offline: a range not loaded before has nothing to show but says why; the one loaded stays.
    await context.setOffline(true);
    await page.getByTestId('metrics-range').selectOption('7d');
    await page.getByTestId('metrics-problem').filter({ hasText: 'The server cannot be reached' }).waitFor({ timeout: 20_000 });
    await page.getByTestId('metrics-range').selectOption('30d');
    await page.getByTestId('metrics-problem').filter({ hasText: 'Showing the figures loaded at' }).waitFor({ timeout: 20_000 });
    expect(Number(await incidents.locator('.metrics-value').textContent())).toBeGreaterThan(0);
    await context.setOffline(false);
  });
});

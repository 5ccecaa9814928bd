// @vitest-environment node
/**
 * The incident's end on the incident page (issue 20): closing asks for a resolution and a
 * one-line summary and cannot be confirmed without them; the assignee is picked from the team
 * (or "Assign to me") and the list's "Assigned to me" filter, kept in the URL, shows it; a lead
 * corrects the stamped contained time with a reason, recorded in the timeline and used by the
 * metrics (MTTC), while an analyst is offered no correction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { adminRequest, createIncidentViaUi, launchBrowser, newAnalyst, type Analyst } from './browser.ts';

describe('closing and the incident end', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let ana: Analyst;
  let lead: Analyst;

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    ana = await newAnalyst(browser, admin, 'Cleo Closer');
    lead = await newAnalyst(browser, admin, 'Lars Lead', 'lead');
  });
  afterAll(async () => {
    await admin?.dispose();
    await browser?.close();
  });

  it('closing asks for a resolution and a one-line summary, and shows them once closed', async () => {
    const page = ana.page;
    const id = await createIncidentViaUi(page, `Suspicious login ${Date.now()}`, 'S3');
    await page.getByTestId('status-button-closed').click();
    const dialog = page.getByTestId('close-dialog');
    await dialog.waitFor();
    // Focus lands in the dialog; confirming without the resolution or the summary is refused.
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('resolution-true_positive');
    await page.getByTestId('close-confirm').click();
    await dialog.getByRole('alert').filter({ hasText: 'Choose a resolution.' }).waitFor();
    await dialog.getByRole('radio', { name: 'False positive' }).check();
    await page.getByTestId('close-confirm').click();
    await dialog.getByRole('alert').filter({ hasText: 'one-line summary' }).waitFor();
    expect(await page.getByTestId('status-current').textContent()).toContain('New');
    // Cancel leaves the incident as it was.
    await page.getByTestId('close-cancel').click();
    expect(await dialog.count()).toBe(0);

    await page.getByTestId('status-button-closed').click();
    await dialog.getByRole('radio', { name: 'False positive' }).check();
    await dialog.getByLabel('One-line summary').fill('VPN login from a new office, confirmed with the user');
    await page.getByTestId('close-confirm').click();
    await expect.poll(() => page.getByTestId('status-current').textContent()).toContain('Closed');
    expect(await page.getByTestId('closing-outcome').textContent()).toBe('False positive — VPN login from a new office, confirmed with the user');
    await expect
      .poll(
        async () => {
          const r = (await (await ana.context.request.get(`/api/v1/incidents/${id}`)).json()) as { resolution: string | null; closing_summary: string | null };
          return `${r.resolution}: ${r.closing_summary}`;
        },
        { timeout: 15_000 },
      )
      .toBe('false_positive: VPN login from a new office, confirmed with the user');
  });

  it('the assignee is picked from the team or "Assign to me"; the list filters "Assigned to me" from the URL', async () => {
    const page = ana.page;
    const mine = `Assigned case ${Date.now()}`;
    const id = await createIncidentViaUi(page, mine, 'S2');
    const picker = page.getByLabel('Assignee', { exact: true });
    expect(await picker.evaluate((el) => el.tagName)).toBe('SELECT');
    // The team is listed: the lead made in beforeAll is one of the choices.
    await expect.poll(() => picker.locator('option', { hasText: 'Lars Lead' }).count(), { timeout: 15_000 }).toBe(1);
    await picker.selectOption('Lars Lead');
    await expect.poll(() => picker.inputValue()).toBe('Lars Lead');
    await page.getByTestId('assign-to-me').click();
    await expect.poll(() => picker.inputValue()).toBe('Cleo Closer');
    expect(await page.getByTestId('assign-to-me').isDisabled()).toBe(true);
    const other = await ana.context.request.post('/api/v1/incidents', { data: { title: `Someone else's ${Date.now()}`, assigned_to: 'Lars Lead' } });
    expect(other.status()).toBe(201);
    await expect
      .poll(async () => ((await (await ana.context.request.get(`/api/v1/incidents/${id}`)).json()) as { assigned_to: string | null }).assigned_to, {
        timeout: 15_000,
      })
      .toBe('Cleo Closer');

    // In-app navigation: the device's list index follows the document.
    await page.getByRole('link', { name: 'Sentpilot: all incidents' }).click();
    await page.getByTestId('incident-row').filter({ hasText: mine }).waitFor({ timeout: 15_000 });
    await page.getByTestId('incident-row').filter({ hasText: "Someone else's" }).first().waitFor({ timeout: 15_000 });
    await page.getByTestId('filter-mine').click();
    await expect.poll(() => page.url()).toMatch(/[?&]assigned=me(&|$)/);
    expect(await page.getByTestId('filter-mine').getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => page.getByTestId('incident-row').count()).toBe(1);
    expect(await page.getByTestId('incident-row').textContent()).toContain(mine);
    // Kept in the URL: a reload shows the same filter.
    await page.reload();
    await page.getByTestId('incident-row').filter({ hasText: mine }).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('incident-row').count()).toBe(1);
    expect(await page.getByTestId('filter-mine').getAttribute('aria-pressed')).toBe('true');
  });

  it('a lead corrects the contained time with a reason; the timeline records it and MTTC uses it; an analyst cannot', async () => {
    const detected = new Date(Math.floor(Date.now() / 1000) * 1000 - 2 * 3_600_000);
    const from = new Date(Date.now() - 1_000).toISOString();
    const created = await lead.context.request.post('/api/v1/incidents', {
      data: { title: `Contained earlier ${Date.now()}`, detected_at: detected.toISOString() },
    });
    expect(created.status()).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    for (const status of ['triage', 'containment', 'eradication']) {
      expect((await lead.context.request.patch(`/api/v1/incidents/${id}`, { data: { status } })).status()).toBe(200);
    }
    const to = new Date(Date.now() + 1_000).toISOString();

    await ana.page.goto(`/incidents/${id}`);
    await ana.page.getByTestId('stamp-containedAt').waitFor({ timeout: 15_000 });
    await expect.poll(() => ana.page.getByTestId('stamp-containedAt').textContent(), { timeout: 15_000 }).not.toContain('—');
    expect(await ana.page.getByTestId('correct-containedAt').count()).toBe(0);

    const page = lead.page;
    await page.goto(`/incidents/${id}`);
    await page.getByTestId('correct-containedAt').click();
    // 30 minutes after detection, typed in the display zone (UTC by default).
    const corrected = new Date(detected.getTime() + 30 * 60_000);
    const local = corrected.toISOString().slice(0, 19);
    await page.getByLabel('Corrected contained time').fill(local);
    await page.getByLabel('Reason', { exact: true }).fill('EDR isolated the host at once; the status moved later');
    await page.getByTestId('correct-containedAt-save').click();
    await page.getByTestId('timeline-entry').filter({ hasText: 'EDR isolated the host at once' }).first().waitFor({ timeout: 15_000 });
    await expect
      .poll(async () => ((await (await lead.context.request.get(`/api/v1/incidents/${id}`)).json()) as { contained_at: string }).contained_at, {
        timeout: 15_000,
      })
      .toBe(corrected.toISOString());
    const timeline = (await (await lead.context.request.get(`/api/v1/incidents/${id}/timeline`)).json()) as {
      items: { kind: string; data: Record<string, unknown> | null }[];
    };
    const change = timeline.items.find((e) => e.kind === 'field_change' && e.data?.['field'] === 'containedAt');
    expect(change?.data).toMatchObject({ to: corrected.toISOString(), reason: 'EDR isolated the host at once; the status moved later', correction: true });
    expect(change?.data?.['from']).not.toBe(corrected.toISOString());
    // The incident's own clocks call it MTTC and count from detection to the corrected time.
    await expect.poll(() => page.getByTestId('clock-mttc').textContent(), { timeout: 15_000 }).toBe('Time to contain (MTTC)30 min 0 s');
    expect(await page.getByTestId('clocks-panel').getByText('(MTTR)').count()).toBe(0);
    const metrics = (await (await lead.context.request.get(`/api/v1/metrics?from=${from}&to=${to}`)).json()) as { mttc: { n: number; median_minutes: number } };
    expect(metrics.mttc).toMatchObject({ n: 1, median_minutes: 30 });
  });
});

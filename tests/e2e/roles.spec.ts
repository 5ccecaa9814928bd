// @vitest-environment node
/** A viewer sees an incident but cannot change it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { addNote, adminRequest, createIncidentViaUi, launchBrowser, newAnalyst, type Analyst } from './browser.ts';

describe('roles', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let alice: Analyst;
  let vera: Analyst;

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    alice = await newAnalyst(browser, admin, 'Alice Writer', 'analyst');
    vera = await newAnalyst(browser, admin, 'Vera Viewer', 'viewer');
  });
  afterAll(async () => {
    await admin?.dispose();
    await browser?.close();
  });

  it('shows the incident read-only to a viewer', async () => {
    const title = `Malware on HR laptop ${Date.now()}`;
    const id = await createIncidentViaUi(alice.page, title, 'S2');
    await addNote(alice.page, 'Quarantined by EDR.');
    await alice.page.getByTestId('task-input').fill('Collect the EDR triage package');
    await alice.page.getByTestId('add-task').click();
    await alice.page.locator('#f-tags').fill('hr-laptop');
    await alice.page.locator('#f-tags').press('Enter');

    await vera.page.goto(`/incidents/${id}`);
    await vera.page.getByTestId('timeline-entry').filter({ hasText: 'Quarantined by EDR.' }).waitFor({ timeout: 30_000 });
    await vera.page.getByTestId('read-only-note').waitFor();
    expect(await vera.page.getByTestId('note-input').count()).toBe(0);
    expect(await vera.page.getByTestId('add-task').count()).toBe(0);
    expect(await vera.page.locator('[data-testid^="status-button-"]').count()).toBe(0);
    expect(await vera.page.getByTestId('new-incident').count()).toBe(0);
    expect(await vera.page.getByTestId('field-title').getAttribute('readonly')).not.toBeNull();
    expect(await vera.page.getByTestId('field-severity').isDisabled()).toBe(true);
    expect(await vera.page.locator('[data-testid="field-description"] .cm-content').getAttribute('contenteditable')).toBe('false');
    // No control that could not act for her: no task ✕, no tag ✕, no task checkbox to tick.
    await expect.poll(() => vera.page.getByTestId('task-item').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await vera.page.locator('.chip', { hasText: 'hr-laptop' }).waitFor({ timeout: 20_000 });
    expect(await vera.page.getByRole('button', { name: /^Delete task/ }).count()).toBe(0);
    expect(await vera.page.getByRole('button', { name: 'Remove hr-laptop' }).isVisible()).toBe(false);
    expect(await vera.page.getByTestId('task-toggle').first().isDisabled()).toBe(true);

    // She still follows the incident live.
    await addNote(alice.page, 'Reimaged the laptop.');
    await vera.page.getByTestId('timeline-entry').filter({ hasText: 'Reimaged the laptop.' }).waitFor({ timeout: 20_000 });
    expect(await vera.page.getByTestId('pending-count').textContent()).toBe('0');

    // The new-incident page says why instead of offering a form.
    await vera.page.goto('/incidents/new');
    await vera.page.getByTestId('read-only-role').waitFor();
  });
});

// @vitest-environment node
/** Two analysts on one incident: what one writes, the other sees live. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { addNote, createIncidentViaUi, adminRequest, launchBrowser, newAnalyst, type Analyst } from './browser.ts';

describe('live collaboration', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let alice: Analyst;
  let bob: Analyst;

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    alice = await newAnalyst(browser, admin, 'Alice Analyst');
    bob = await newAnalyst(browser, admin, 'Bob Responder');
  });
  afterAll(async () => {
    await admin?.dispose();
    await browser?.close();
  });

  it('an incident and a note created by one analyst appear live for another', async () => {
    await bob.page.goto('/');
    await bob.page.getByTestId('incident-list').waitFor();

    const title = `Brute force on VPN ${Date.now()}`;
    const id = await createIncidentViaUi(alice.page, title);
    await addNote(alice.page, 'Blocked 203.0.113.7 at the edge firewall.');

    // Bob's list learns of the new incident without a reload.
    const row = bob.page.getByTestId('incident-row').filter({ hasText: title });
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    await bob.page.waitForURL(new RegExp(`/incidents/${id}$`));
    await bob.page.getByTestId('timeline-entry').filter({ hasText: 'Blocked 203.0.113.7' }).waitFor();

    // The server assigned a human key, and both see it.
    await expect.poll(() => bob.page.getByTestId('incident-key').textContent(), { timeout: 15_000 }).toMatch(/IR-\d{4}-\d{4,}/);
    await expect.poll(() => alice.page.getByTestId('incident-key').textContent(), { timeout: 15_000 }).toMatch(/IR-\d{4}-\d{4,}/);

    // Now both are on the page: a note from Bob shows up on Alice's screen live.
    await addNote(bob.page, 'Reset the VPN account password.');
    await alice.page.getByTestId('timeline-entry').filter({ hasText: 'Reset the VPN account password.' }).waitFor({ timeout: 10_000 });

    // Presence: each sees the other as viewing the incident.
    await alice.page.getByTestId('presence').filter({ hasText: /B/ }).first().waitFor({ timeout: 10_000 });
  });
});

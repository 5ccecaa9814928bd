// @vitest-environment node
/** Working with the network gone: edits on both sides merge on reconnect; the app reloads offline. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { addNote, createIncidentViaUi, adminRequest, launchBrowser, newAnalyst, waitForServiceWorker, type Analyst } from './browser.ts';

describe('offline work', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let alice: Analyst;
  let bob: Analyst;

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    alice = await newAnalyst(browser, admin, 'Alice Offline');
    bob = await newAnalyst(browser, admin, 'Bob Online');
  });
  afterAll(async () => {
    await admin?.dispose();
    await browser?.close();
  });

  it('both analysts edit while one is offline, and both see every edit after she reconnects', async () => {
    const title = `Ransomware on FS01 ${Date.now()}`;
    const id = await createIncidentViaUi(alice.page, title, 'S1');
    await bob.page.goto(`/incidents/${id}`);
    await bob.page.getByTestId('timeline').waitFor();
    await expect.poll(() => bob.page.getByTestId('incident-key').textContent(), { timeout: 20_000 }).toMatch(/IR-/);

    await alice.context.setOffline(true);
    await expect.poll(() => alice.page.getByTestId('connection-state').textContent(), { timeout: 15_000 }).toMatch(/offline/i);

    await addNote(alice.page, 'Pulled the network cable of FS01 (offline note).');
    await addNote(alice.page, 'Memory image taken on USB (offline note 2).');
    await addNote(bob.page, 'Notified legal (online note).');
    await expect.poll(async () => Number(await alice.page.getByTestId('pending-count').textContent()), { timeout: 10_000 }).toBeGreaterThan(0);
    // While apart, neither sees the other's notes.
    expect(await alice.page.getByTestId('timeline-entry').filter({ hasText: 'Notified legal' }).count()).toBe(0);

    await alice.context.setOffline(false);
    for (const page of [alice.page, bob.page]) {
      for (const text of ['Pulled the network cable of FS01', 'Memory image taken on USB', 'Notified legal']) {
        await page.getByTestId('timeline-entry').filter({ hasText: text }).first().waitFor({ timeout: 30_000 });
      }
    }
    await expect.poll(() => alice.page.getByTestId('connection-state').textContent(), { timeout: 30_000 }).toMatch(/online/i);
    await expect.poll(async () => Number(await alice.page.getByTestId('pending-count').textContent()), { timeout: 30_000 }).toBe(0);
  });

  it('an incident created offline reaches the server and the other analyst when the network returns', async () => {
    await alice.page.goto('/');
    await alice.context.setOffline(true);
    const title = `Lost laptop of J. Doe ${Date.now()}`;
    const id = await createIncidentViaUi(alice.page, title, 'S3');
    await addNote(alice.page, 'Reported at the airport.');
    await alice.page
      .getByTestId('incident-key')
      .filter({ hasText: /pending/i })
      .waitFor();

    await alice.context.setOffline(false);
    await expect.poll(() => alice.page.getByTestId('incident-key').textContent(), { timeout: 30_000 }).toMatch(/IR-/);
    await bob.page.goto(`/incidents/${id}`);
    await bob.page.getByTestId('timeline-entry').filter({ hasText: 'Reported at the airport.' }).waitFor({ timeout: 30_000 });
  });

  it('reloading with the network off shows the app and the incident from IndexedDB', async () => {
    const title = `Phishing wave ${Date.now()}`;
    const id = await createIncidentViaUi(alice.page, title, 'S2');
    await addNote(alice.page, 'Purged 41 messages from mailboxes.');
    await waitForServiceWorker(alice.page);

    await alice.context.setOffline(true);
    await alice.page.reload();
    await alice.page.getByTestId('timeline-entry').filter({ hasText: 'Purged 41 messages' }).waitFor({ timeout: 20_000 });
    expect(await alice.page.getByTestId('field-title').inputValue()).toBe(title);

    await alice.page.goto('/');
    await alice.page.getByTestId('incident-row').filter({ hasText: title }).waitFor();
    await alice.page.goto(`/incidents/${id}`);
    await alice.page.getByTestId('timeline-entry').filter({ hasText: 'Purged 41 messages' }).waitFor();
    await alice.context.setOffline(false);
  });
});

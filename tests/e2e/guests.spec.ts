// @vitest-environment node
/** A lead invites a read-only guest to one incident: the guest sees that incident, read-only, and no other. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createIncidentViaUi, launchBrowser, loginThroughApi } from './browser.ts';

describe('guests', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ baseURL: inject('baseURL'), viewport: { width: 1300, height: 900 } });
    await loginThroughApi(context.request, inject('admin'));
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('invites a guest who sees only the invited incident, read-only', async () => {
    const secretTitle = `Board member phishing ${Date.now()}`;
    const secretId = await createIncidentViaUi(page, secretTitle, 'S1');
    const title = `Forensics needed on FS02 ${Date.now()}`;
    await createIncidentViaUi(page, title, 'S2');
    await expect.poll(() => page.getByTestId('incident-key').textContent(), { timeout: 20_000 }).toMatch(/IR-/);

    const panel = page.getByTestId('guests-panel');
    const email = `forensics.${Date.now()}@partner.test`;
    await panel.getByTestId('guest-email').fill(email);
    await panel.getByTestId('guest-name').fill('Fiona Forensics');
    await panel.getByTestId('guest-invite').click();
    const link = await panel.getByTestId('guest-invite-url').inputValue();
    await panel.getByTestId('guest-row').filter({ hasText: email }).waitFor();

    const guestContext = await browser.newContext({ baseURL: inject('baseURL') });
    const guest = await guestContext.newPage();
    await guest.goto(new URL(link).pathname + new URL(link).hash);
    await guest.getByTestId('invite-password').fill('forensics partner password');
    await guest.getByTestId('invite-repeat').fill('forensics partner password');
    await guest.getByTestId('invite-submit').click();

    await guest.getByTestId('incident-row').filter({ hasText: title }).waitFor({ timeout: 30_000 });
    expect(await guest.getByTestId('incident-row').filter({ hasText: secretTitle }).count()).toBe(0);
    expect(await guest.getByTestId('new-incident').count()).toBe(0);

    await guest.getByTestId('incident-row').filter({ hasText: title }).click();
    await guest.getByTestId('read-only-note').waitFor();
    expect(await guest.getByTestId('note-input').count()).toBe(0);

    await guest.goto(`/incidents/${secretId}`);
    await guest.locator('[data-testid="no-access"], [data-testid="incident-not-found"]').first().waitFor({ timeout: 15_000 });
    expect(await guest.getByText(secretTitle).count()).toBe(0);
    await guestContext.close();
  });
});

// @vitest-environment node
/**
 * The incident's cost panel: an analyst adds cost lines with the network off, the total and the
 * subtotals are exact, a bad amount is refused naming the field, and a colleague sees the same
 * total once she reconnects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { adminRequest, createIncidentViaUi, launchBrowser, newAnalyst, type Analyst } from './browser.ts';

describe('incident cost', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let alice: Analyst;
  let bob: Analyst;

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    alice = await newAnalyst(browser, admin, 'Alice Cost');
    bob = await newAnalyst(browser, admin, 'Bob Cost');
  });
  afterAll(async () => {
    await admin?.dispose();
    await browser?.close();
  });

  it('cost lines added offline give an exact total that a colleague sees after the reconnect', async () => {
    const id = await createIncidentViaUi(alice.page, `Ransomware cost ${Date.now()}`, 'S1');
    await bob.page.goto(`/incidents/${id}`);
    const panel = alice.page.getByTestId('cost-panel');
    await panel.waitFor({ timeout: 20_000 });
    await bob.page.getByTestId('cost-panel').waitFor({ timeout: 20_000 });

    await alice.context.setOffline(true);
    await panel.getByTestId('cost-label').fill('ERP');
    await panel.getByTestId('cost-hours').fill('2.5');
    await panel.getByTestId('cost-rate').fill('100.10');
    await panel.getByTestId('cost-assumption').fill('lost orders per hour');
    await panel.getByTestId('cost-add-line').click();
    await panel.getByTestId('cost-kind').selectOption('third_party');
    await panel.getByTestId('cost-label').fill('DFIR firm');
    await panel.getByTestId('cost-amount').fill('0.30');
    await panel.getByTestId('cost-add-line').click();
    // 2.5 h × 100.10 = 250.25, + 0.30
    await expect.poll(() => panel.getByTestId('cost-total').textContent()).toBe('€250.55');
    expect(await panel.getByTestId('cost-subtotal-downtime').textContent()).toBe('€250.25');
    await panel.getByText('Assumption: lost orders per hour').waitFor();
    await panel.getByTestId('cost-label').fill('Notification letters');
    await panel.getByTestId('cost-amount').fill('abc');
    await panel.getByTestId('cost-add-line').click();
    await panel
      .getByRole('alert')
      .getByText(/Amount:/)
      .waitFor();

    await alice.context.setOffline(false);
    await expect.poll(() => bob.page.getByTestId('cost-total').textContent(), { timeout: 30_000 }).toBe('€250.55');
  });
});

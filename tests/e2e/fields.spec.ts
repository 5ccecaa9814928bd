// @vitest-environment node
/**
 * A lead defines the custom fields of an incident category on "/admin/fields": a bad row is
 * refused with its row and reason, the saved fields come back after a reload, and an incident of
 * that category shows them; an analyst has no such page in the menu.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { adminRequest, launchBrowser, newAnalyst, type Analyst } from './browser.ts';

describe('custom field definitions', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let lead: Analyst;

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    lead = await newAnalyst(browser, admin, 'Fay Fields', 'lead');
  });
  afterAll(async () => {
    await admin?.dispose();
    await browser?.close();
  });

  it('a lead defines the fields of a category; incidents of it show them', async () => {
    const { page, context } = lead;
    await page.goto('/');
    await page.getByTestId('nav-fields').click();
    await page.waitForURL(/\/admin\/fields$/);
    await page.getByTestId('fields-category').selectOption('ddos');
    const form = page.getByTestId('fields-form');
    await form.getByText('No custom fields for DDoS yet.').waitFor();

    await page.getByTestId('fields-add').click();
    await form.getByLabel('Field 1 name').fill('Peak Gbps');
    await form.getByLabel('Field 1 type').selectOption('number');
    await page.getByTestId('fields-add').click();
    await form.getByLabel('Field 2 name').fill('attack_vector');
    await form.getByLabel('Field 2 label').fill('Attack vector');
    await form.getByLabel('Field 2 type').selectOption('select');
    await page.getByTestId('fields-save').click();
    const problems = page.getByTestId('fields-problems');
    await problems.getByText('Field 1 (name): lower-case letters, digits and _ (start with a letter)').waitFor();
    await problems.getByText('Field 2 (options): a select field needs options').waitFor();

    await form.getByLabel('Field 1 name').fill('peak_gbps');
    await form.getByLabel('Field 2 options').fill('SYN flood, UDP amplification, HTTP flood');
    await form.getByLabel('Field 2 required').check();
    await page.getByTestId('fields-save').click();
    await page.getByTestId('fields-saved').filter({ hasText: 'Saved 2 fields for DDoS.' }).waitFor();

    await page.reload();
    await page.getByTestId('fields-category').selectOption('ddos');
    await expect.poll(() => page.getByTestId('field-row').count()).toBe(2);
    expect(await form.getByLabel('Field 2 options').inputValue()).toBe('SYN flood, UDP amplification, HTTP flood');

    const created = await context.request.post('/api/v1/incidents', {
      data: { title: `Volumetric attack ${Date.now()}`, category: 'ddos', custom_fields: { attack_vector: 'SYN flood' } },
    });
    expect(created.status(), await created.text()).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    await page.goto(`/incidents/${id}`);
    const custom = page.getByTestId('custom-fields');
    await custom.getByText('Attack vector').waitFor({ timeout: 15_000 });
    await custom.getByText('peak_gbps').waitFor();

    const analyst = await newAnalyst(browser, admin, 'Ann Analyst');
    await analyst.page.goto('/');
    await analyst.page.getByTestId('nav-triage').waitFor();
    expect(await analyst.page.getByTestId('nav-fields').count()).toBe(0);
    await analyst.context.close();
  });
});

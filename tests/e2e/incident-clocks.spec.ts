// @vitest-environment node
/**
 * Issue 4 on the incident page, all computed on the device: a template pre-fills the form and
 * the task checklist, the SLA clocks run from the shared policy, a personal-data breach starts
 * its notification clock, and two incidents are linked both ways (and unlinked). Observables are
 * pasted on the incident page and reach the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { adminRequest, createIncidentViaUi, launchBrowser, newAnalyst, type Analyst } from './browser.ts';

describe('incident templates, clocks and links', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let ana: Analyst;

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    ana = await newAnalyst(browser, admin, 'Tara Template');
  });
  afterAll(async () => {
    await admin?.dispose();
    await browser?.close();
  });

  it('a template pre-fills category, severity, tags and the checklist', async () => {
    const page = ana.page;
    await page.goto('/');
    await page.getByTestId('new-incident').click();
    await page.getByTestId('field-template').selectOption('ransomware');
    await page.getByTestId('template-preview').waitFor();
    expect(await page.getByTestId('field-severity').inputValue()).toBe('S1');
    expect(await page.getByTestId('field-category').inputValue()).toBe('ransomware');
    expect(await page.getByTestId('field-tags').inputValue()).toContain('ransomware');
    await page.getByTestId('field-title').fill(`Ransomware on FS01 ${Date.now()}`);
    await page.getByTestId('create-incident').click();
    await page.waitForURL(/\/incidents\/[0-9a-f-]{36}$/);
    await page.getByTestId('timeline').waitFor();
    await expect.poll(() => page.getByTestId('task-item').count()).toBe(7);
    await page.getByRole('checkbox', { name: 'Done: Isolate affected hosts from the network' }).waitFor();
    // S1: respond within 15 minutes; a new incident is on track and counting down.
    const response = page.getByTestId('sla-response');
    await expect.poll(() => response.getAttribute('data-state')).toBe('on_track');
    const first = await response.textContent();
    expect(first).toMatch(/left/);
    await expect.poll(() => response.textContent(), { timeout: 5_000 }).not.toBe(first);
    // Leaving "new" meets the response clock.
    await page.getByTestId('status-button-triage').click();
    await expect.poll(() => response.getAttribute('data-state')).toBe('met');
  });

  it('marking a personal-data breach starts the GDPR clock; links show from both incidents', async () => {
    const page = ana.page;
    const a = await createIncidentViaUi(page, `Leaked customer list ${Date.now()}`, 'S2');
    await page.getByTestId('breach-open').click();
    await page.getByTestId('breach-regulation').selectOption('gdpr');
    await page.getByTestId('breach-mark').click();
    const breach = page.getByTestId('breach-clock');
    await breach.waitFor();
    expect(await breach.getAttribute('data-state')).toBe('on_track');
    expect(await breach.textContent()).toMatch(/(71|72) h|2 d 2[34] h|3 d/);
    // The list shows the breach state (in-app navigation: the list index is written after a
    // short pause, which a full reload right away would cut off).
    await page.getByRole('link', { name: 'Sentpilot: all incidents' }).click();
    await page.getByTestId('incident-row').filter({ hasText: 'Leaked customer list' }).getByTestId('row-breach').waitFor();

    const b = await createIncidentViaUi(page, `Phishing wave ${Date.now()}`, 'S3');
    await page.getByTestId('related-input').fill(a);
    await page.getByTestId('related-link').click();
    await page.getByTestId('related-item').filter({ hasText: 'Leaked customer list' }).waitFor();
    // Both documents are written (and stored) before the panel stops being busy.
    await expect.poll(() => page.getByTestId('related-panel').getAttribute('aria-busy')).toBe('false');
    await page.goto(`/incidents/${a}`);
    const back = page.getByTestId('related-item').filter({ hasText: 'Phishing wave' });
    await back.waitFor();
    await back.getByTestId('related-unlink').click();
    await expect.poll(() => page.getByTestId('related-item').count()).toBe(0);
    await expect.poll(() => page.getByTestId('related-panel').getAttribute('aria-busy')).toBe('false');
    await page.goto(`/incidents/${b}`);
    await page.getByTestId('related-panel').waitFor();
    await expect.poll(() => page.getByTestId('related-item').count()).toBe(0);
  });
  it('pasted observables (defanged, several at once) are listed, the unknown ones named, reach the API, and a removal sticks', async () => {
    const page = ana.page;
    const id = await createIncidentViaUi(page, `Beaconing host ${Date.now()}`, 'S2');
    const panel = page.getByTestId('observables-panel');
    await panel.getByTestId('observable-input').fill('ws-042');
    await panel.getByTestId('observable-add').click();
    await panel.getByTestId('observable-rejected').filter({ hasText: 'ws-042: could not tell what it is: choose its kind' }).waitFor();
    // The value not added stays in the box: choose its kind and add it.
    expect(await panel.getByTestId('observable-input').inputValue()).toBe('ws-042');
    await panel.getByTestId('observable-kind').selectOption('host');
    await panel.getByTestId('observable-add').click();
    await expect.poll(() => panel.getByTestId('observable').count()).toBe(1);
    expect(await panel.getByTestId('observable-rejected').count()).toBe(0);
    // The kind chosen for that paste does not stay selected for the next one.
    expect(await panel.getByTestId('observable-kind').inputValue()).toBe('detect');
    await panel.getByTestId('observable-input').fill('203.0.113[.]7, hxxps://evil[.]example/gate.php\n<img src=x onerror=alert(1)>');
    await panel.getByTestId('observable-add').click();
    // One unknown line no longer keeps the others out; it is listed as text, not markup.
    await expect.poll(() => panel.getByTestId('observable').count()).toBe(3);
    expect(await panel.getByTestId('observable-rejected-item').allTextContents()).toEqual([
      '<img src=x onerror=alert(1)>: could not tell what it is: choose its kind',
    ]);
    expect(await panel.locator('img').count()).toBe(0);
    expect(await panel.getByTestId('observable').allTextContents()).toEqual([
      expect.stringContaining('ws-042'),
      expect.stringContaining('203.0.113.7'),
      expect.stringContaining('https://evil.example/gate.php'),
    ]);
    const observablesOf = async (): Promise<string[]> =>
      (((await (await ana.context.request.get(`/api/v1/incidents/${id}`)).json()) as { observables: { kind: string; value: string }[] }).observables ?? [])
        .map((o) => `${o.kind}:${o.value}`)
        .sort();
    await expect.poll(observablesOf, { timeout: 15_000 }).toEqual(['host:ws-042', 'ip:203.0.113.7', 'url:https://evil.example/gate.php']);
    await panel.getByRole('button', { name: 'Remove host ws-042' }).click();
    await expect.poll(observablesOf, { timeout: 15_000 }).toEqual(['ip:203.0.113.7', 'url:https://evil.example/gate.php']);
    await page.reload();
    await expect.poll(() => page.getByTestId('observables-panel').getByTestId('observable').count(), { timeout: 15_000 }).toBe(2);
  });
});

// @vitest-environment node
/**
 * An automated accessibility pass (issue 20): axe-core, injected into the page, over the main
 * pages with content on them — the incident list, the new-incident form, an incident with notes,
 * tasks, observables and evidence, alerts, threat intel, the playbooks admin page, the users page
 * and metrics — at a desktop and a phone size (the source of axe.source evaluated in the page). Any serious or critical violation fails the test,
 * listed with its rule, the elements and axe's summary. Each page is checked only once its
 * content has rendered (a test id of the loaded state), so the result does not depend on timing.
 */
import axe from 'axe-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { APIRequestContext, Browser, BrowserContext, Page } from 'playwright-core';
import { adminRequest, baseURL, launchBrowser, loginThroughApi } from './browser.ts';
import { postJson, tokenRequest } from './api-token.ts';

interface AxeNode {
  target: unknown[];
  failureSummary?: string;
}
interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  nodes: AxeNode[];
}

/**
 * Known violations in code another change is still working on, each with its rule and a CSS
 * selector of the elements; everything else fails. Keep this list short and empty it when fixed.
 */
const KNOWN: { rule: string; selector: string; why: string }[] = [];

/** Serious and critical violations on the page as it is, one line each (with up to 5 elements). */
async function seriousViolations(page: Page): Promise<string[]> {
  // The app's CSP refuses inline scripts (so page.addScriptTag({ content }) is refused); a
  // DevTools evaluation is not subject to it, and the page keeps its real CSP while checked.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> } };
    const result = await w.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  });
  // Drop the nodes a KNOWN entry names (matched in the page, by the rule's own selector).
  for (const v of violations) {
    const known = KNOWN.filter((k) => k.rule === v.id).map((k) => k.selector);
    if (known.length === 0) continue;
    const keep: typeof v.nodes = [];
    for (const n of v.nodes) {
      const selector = n.target.map(String).join(' ');
      const isKnown = await page.evaluate(
        ({ selector, known }) => {
          const el = document.querySelector(selector);
          return el !== null && known.some((k) => el.matches(k));
        },
        { selector, known },
      );
      if (!isKnown) keep.push(n);
    }
    v.nodes = keep;
  }
  return violations
    .filter((v) => (v.impact === 'serious' || v.impact === 'critical') && v.nodes.length > 0)
    .map(
      (v) =>
        `${v.impact} ${v.id} (${v.help}): ${v.nodes
          .slice(0, 5)
          .map((n) => `${JSON.stringify(n.target)} — ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`)
          .join(' | ')}`,
    );
}

const SIZES = [
  { name: 'desktop', width: 1280, height: 900, isMobile: false, hasTouch: false },
  { name: 'phone', width: 390, height: 844, isMobile: true, hasTouch: true },
] as const;

describe('accessibility (axe-core)', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let incidentId = '';
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    // Content for the pages: an alert (which opens an incident), then notes, tasks, observables.
    const api = await tokenRequest(admin);
    const stamp = Date.now();
    const ingest = await postJson<{ items: { incident_id: string | null }[] }>(api, '/api/v1/alerts', {
      source: 'edr',
      type: 'c2_beacon',
      title: `Beacon to a known C2 from ws-${stamp}`,
      impact: 4,
      likelihood: 4,
      confidence: 4,
      observed_at: new Date(stamp - 60_000).toISOString(),
      observables: { hosts: [`ws-${stamp}.corp.example`], ips: ['198.51.100.88'] },
    });
    await api.dispose();
    incidentId = ingest.items[0]?.incident_id ?? '';
    expect(incidentId).toMatch(/^[0-9a-f-]{36}$/);
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await admin?.dispose();
    await browser?.close();
  });

  async function adminPage(size: (typeof SIZES)[number]): Promise<Page> {
    const context = await browser.newContext({
      baseURL: baseURL(),
      viewport: { width: size.width, height: size.height },
      isMobile: size.isMobile,
      hasTouch: size.hasTouch,
    });
    contexts.push(context);
    await loginThroughApi(context.request, inject('admin'));
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[axe ${size.name}] page error:`, e.message));
    return page;
  }

  for (const size of SIZES) {
    it(`finds no serious or critical violation on the main pages (${size.name})`, async () => {
      const page = await adminPage(size);
      const found: string[] = [];
      const check = async (label: string): Promise<void> => {
        for (const line of await seriousViolations(page)) found.push(`${label}: ${line}`);
      };

      // The incident list, with the incident in it.
      await page.goto('/');
      await page.getByTestId('incident-row').first().waitFor({ timeout: 30_000 });
      await check('incident list');
      if (size.width < 1000) {
        // The folded navigation, opened.
        await page.getByTestId('nav-toggle').click();
        await page.getByTestId('nav-metrics').waitFor();
        await check('header menu');
        await page.getByTestId('nav-toggle').click();
      }

      // The new-incident form, with an error shown (the title is required).
      await page.goto('/incidents/new');
      await page.getByTestId('create-incident').click();
      await page.locator('#new-title-error').waitFor();
      await check('new incident');

      // The incident, with a note, a task, its observables, evidence and the side panels mounted.
      await page.goto(`/incidents/${incidentId}`);
      await page.getByTestId('timeline').waitFor({ timeout: 60_000 });
      const note = `Checked by the accessibility pass at ${size.name}`;
      await page.getByTestId('note-input').fill(note);
      await page.getByTestId('add-note').click();
      await page.getByTestId('timeline-entry').filter({ hasText: note }).first().waitFor();
      await page.getByTestId('task-input').fill(`Reimage the host (${size.name})`);
      await page.getByTestId('add-task').click();
      await page.getByTestId('task-item').first().waitFor();
      await page.getByTestId('observables-panel').waitFor();
      await page.getByTestId('playbooks-panel').waitFor({ timeout: 20_000 });
      await page.getByTestId('intel-matches').waitFor({ timeout: 20_000 });
      const evidence = page.getByTestId('evidence-panel');
      await evidence.getByTestId('evidence-add').click();
      const form = evidence.getByTestId('evidence-capture-form');
      await form
        .getByTestId('evidence-file')
        .setInputFiles({ name: `memory-${size.name}.txt`, mimeType: 'text/plain', buffer: Buffer.from('volatile notes\n') });
      await form.getByLabel('Collected at').fill('2026-12-07T10:30');
      await form.getByTestId('evidence-capture-submit').click();
      // Checked once the upload has settled, so the row is in the same state on every run.
      const row = evidence.getByTestId('evidence-row').filter({ hasText: `memory-${size.name}.txt` });
      await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('verified');
      await check('incident page');

      // Alerts, with the alert that opened the incident.
      await page.goto('/alerts');
      await page.getByTestId('alert-row').first().waitFor({ timeout: 20_000 });
      await check('alerts');

      // Threat intel: the lookup form.
      await page.goto('/intel');
      await page.getByTestId('intel-values').waitFor();
      await check('intel');

      // The playbooks admin page, with the shipped playbooks.
      await page.goto('/admin/playbooks');
      await page.getByTestId('admin-playbook').first().waitFor({ timeout: 20_000 });
      await check('admin/playbooks');

      // Users, with the bootstrap admin listed.
      await page.goto('/admin/users');
      await page.getByTestId('user-row').first().waitFor({ timeout: 20_000 });
      await check('admin/users');

      // Metrics, with the figures loaded.
      await page.goto('/metrics');
      await page.getByTestId('metric-incidents').waitFor({ timeout: 20_000 });
      await check('metrics');

      expect(found).toEqual([]);
    });
  }
});

// @vitest-environment node
/**
 * Tablet and phone layouts (issue 20): at 390×844 (phone), 768×1024 (tablet, portrait),
 * 1024×768 (tablet, landscape) and 844×390 (a phone turned sideways), all with touch, the key
 * actions — change the status, add a note, add evidence, approve a playbook step — are reachable
 * without scrolling sideways, inside the viewport once scrolled to, at least 44 px and work by tap; the header is compact; the incident
 * page's "Jump to" index reaches the far panels; task titles wrap; a title tooltip shows on tap;
 * and every tappable control on those pages is at least 44 × 44 px.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { adminRequest, baseURL, createUser, launchBrowser, loginThroughApi, type Credentials } from './browser.ts';

const LAYOUTS = [
  { name: 'phone 390×844', width: 390, height: 844, isMobile: true },
  // A phone turned sideways: the header is not sticky there and the folded menu still drops from it.
  { name: 'phone landscape 844×390', width: 844, height: 390, isMobile: true },
  { name: 'tablet 768×1024', width: 768, height: 1024, isMobile: true },
  { name: 'tablet 1024×768', width: 1024, height: 768, isMobile: false },
] as const;
type Layout = (typeof LAYOUTS)[number];

const PLAYBOOK = 'brute-force-privileged';
const LONG_TASK = 'Collect the volatile memory of every domain controller in the Frankfurt and Amsterdam sites before anyone reboots them';

/** The page does not scroll sideways. */
async function noSidewaysScroll(page: Page): Promise<{ scrollWidth: number; clientWidth: number }> {
  return page.evaluate(() => {
    const s = document.scrollingElement ?? document.documentElement;
    return { scrollWidth: s.scrollWidth, clientWidth: s.clientWidth };
  });
}

/** LAYOUT_SHOTS=folder keeps a screenshot of each layout, to look at. */
async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.LAYOUT_SHOTS;
  if (dir) await page.screenshot({ path: `${dir}/${name}.png` });
}

async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const { scrollWidth, clientWidth } = await noSidewaysScroll(page);
  expect(scrollWidth, 'the page scrolls sideways').toBeLessThanOrEqual(clientWidth);
}

/** Scrolled to, the control lies inside the viewport, is at least 44 px each way, and is tapped. */
async function tapReachable(page: Page, control: Locator): Promise<void> {
  await control.scrollIntoViewIfNeeded();
  const box = await control.boundingBox();
  const vp = page.viewportSize();
  if (!box || !vp) throw new Error('the control has no box');
  // Within a pixel: boxes have fractional edges.
  expect(box.x).toBeGreaterThanOrEqual(-1);
  expect(box.y).toBeGreaterThanOrEqual(-1);
  expect(box.x + box.width).toBeLessThanOrEqual(vp.width + 1);
  expect(box.y + box.height).toBeLessThanOrEqual(vp.height + 1);
  expect(Math.round(box.height)).toBeGreaterThanOrEqual(44);
  expect(Math.round(box.width)).toBeGreaterThanOrEqual(44);
  await control.tap();
}

/**
 * Visible tappable controls smaller than 44 × 44 px. A checkbox or radio counts by its label when
 * a label wraps it; links inside running text are exempt (WCAG 2.5.8), so are visually hidden ones.
 */
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const selector = 'button, a[href], select, input:not([type=hidden]), textarea, summary, [role=button]';
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>(selector))) {
      if (el.closest('.skip-link, .visually-hidden, [hidden], [inert]')) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none') continue;
      let box = el.getBoundingClientRect();
      if (box.width <= 1 || box.height <= 1) continue;
      if (el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio')) {
        const label = el.closest('label');
        if (label) box = label.getBoundingClientRect();
      }
      if (el.tagName === 'A' && style.display === 'inline') {
        const parentText = (el.parentElement?.textContent ?? '').replace(el.textContent ?? '', '').trim();
        if (parentText.length > 0) continue;
      }
      if (Math.round(box.width) < 44 || Math.round(box.height) < 44) {
        const name = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40);
        const id = el.getAttribute('data-testid') ?? el.className;
        out.push(`${el.tagName.toLowerCase()}[${id}] "${name}" ${Math.round(box.width)}×${Math.round(box.height)}`);
      }
    }
    return out;
  });
}

describe('tablet and phone layouts', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let analyst: Credentials;
  let lead: Credentials;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    analyst = await createUser(admin, 'Tess Touch', 'analyst');
    lead = await createUser(admin, 'Lena Lead', 'lead');
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await admin?.dispose();
    await browser?.close();
  });

  async function touchPage(layout: Layout, who: Credentials): Promise<Page> {
    const context = await browser.newContext({
      baseURL: baseURL(),
      viewport: { width: layout.width, height: layout.height },
      hasTouch: true,
      isMobile: layout.isMobile,
    });
    contexts.push(context);
    await loginThroughApi(context.request, who);
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[${layout.name}] page error:`, e.message));
    return page;
  }

  /** A privileged account under brute force (the shipped playbook with a gate matches it). */
  async function bruteForceIncident(page: Page): Promise<string> {
    const res = await page.context().request.post('/api/v1/incidents', {
      data: {
        title: `Brute force on the finance director's account from several addresses ${Date.now()}`,
        category: 'account_compromise',
        severity: 'S2',
        tags: ['privileged'],
        observables: [
          { kind: 'account', value: `cfo.${Date.now()}@corp.test` },
          { kind: 'ip', value: '203.0.113.9' },
        ],
      },
    });
    expect(res.status()).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  for (const layout of LAYOUTS) {
    it(`incident page at ${layout.name}: compact header, jump index, status, note, evidence by tap`, async () => {
      const page = await touchPage(layout, analyst);
      const id = await bruteForceIncident(page);
      await page.goto(`/incidents/${id}`);
      await page.getByTestId('timeline').waitFor({ timeout: 60_000 });
      await page.getByTestId('evidence-panel').waitFor({ timeout: 20_000 });
      await page.getByTestId('playbooks-panel').waitFor({ timeout: 20_000 });
      await shot(page, `incident-${layout.width}`);
      await expectNoSidewaysScroll(page);

      // The header is one compact row below 1000 px; its navigation opens from "Menu".
      const header = await page.locator('.app-header').boundingBox();
      if (!header) throw new Error('no header');
      if (layout.width < 1000) {
        expect(header.height).toBeLessThanOrEqual(72);
        expect(await page.getByTestId('nav-metrics').isVisible()).toBe(false);
        await tapReachable(page, page.getByTestId('nav-toggle'));
        await page.getByTestId('nav-metrics').waitFor();
        await shot(page, `menu-${layout.width}`);
        await expectNoSidewaysScroll(page);
        await page.getByTestId('nav-toggle').tap();
        await expect.poll(() => page.getByTestId('nav-metrics').isVisible()).toBe(false);
      } else {
        expect(await page.getByTestId('nav-metrics').isVisible()).toBe(true);
      }

      // The title wraps instead of being cut.
      const title = page.getByTestId('field-title');
      const titleFits = await title.evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight + 1);
      expect(titleFits).toBe(true);

      // Status change by tap.
      await tapReachable(page, page.getByTestId('status-button-triage'));
      await expect.poll(() => page.getByTestId('status-current').textContent()).toMatch(/triage/i);
      await expectNoSidewaysScroll(page);

      // A note by tap.
      const note = `Seen from ${layout.name} ${Date.now()}`;
      await page.getByTestId('jump-timeline').tap();
      await page.getByTestId('note-input').fill(note);
      await tapReachable(page, page.getByTestId('add-note'));
      await page.getByTestId('timeline-entry').filter({ hasText: note }).first().waitFor();

      // A long task title wraps: nothing of it is cut.
      await page.getByTestId('jump-tasks').tap();
      await page.getByTestId('task-input').fill(LONG_TASK);
      await tapReachable(page, page.getByTestId('add-task'));
      const task = page
        .getByTestId('task-item')
        .filter({ has: page.locator(`textarea`) })
        .last()
        .locator('.task-title');
      await expect.poll(() => task.inputValue()).toBe(LONG_TASK);
      await expect.poll(() => task.evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight + 1)).toBe(true);
      expect(await task.evaluate((el) => el.getBoundingClientRect().height)).toBeGreaterThan(50);
      await expectNoSidewaysScroll(page);

      // The index jumps to the playbooks and evidence, thousands of pixels down on a phone.
      await tapReachable(page, page.getByTestId('jump-playbooks'));
      await expect
        .poll(() =>
          page.getByTestId('playbooks-panel').evaluate((el) => {
            const r = el.getBoundingClientRect();
            return r.top >= 0 && r.top < window.innerHeight / 2;
          }),
        )
        .toBe(true);
      await page.getByTestId('jump-evidence').tap();
      // Scrolled to the top of the screen, or as far as the page goes.
      const evidence = page.getByTestId('evidence-panel');
      await expect
        .poll(() =>
          evidence.evaluate((el) => {
            const r = el.getBoundingClientRect();
            const s = document.scrollingElement ?? document.documentElement;
            const atEnd = s.scrollTop + s.clientHeight >= s.scrollHeight - 1;
            return r.top >= 0 && (r.top < window.innerHeight / 2 || (atEnd && r.top < window.innerHeight - 100));
          }),
        )
        .toBe(true);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('sec-evidence');

      // Evidence by tap.
      await tapReachable(page, evidence.getByTestId('evidence-add'));
      const form = evidence.getByTestId('evidence-capture-form');
      const name = `phone-${layout.width}-${Date.now()}.log`;
      await form.getByTestId('evidence-file').setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(`log from ${layout.name}\n`) });
      await form.getByLabel('Collected at').fill('2026-12-07T10:30');
      await form.getByLabel('Description').fill('Taken on a touch screen');
      await expectNoSidewaysScroll(page);
      await tapReachable(page, form.getByTestId('evidence-capture-submit'));
      await shot(page, `evidence-${layout.width}`);
      await evidence.getByTestId('evidence-row').filter({ hasText: name }).waitFor({ timeout: 15_000 });
      await expectNoSidewaysScroll(page);

      // A hover-only explanation shows on tap.
      await page.getByTestId('jump-status').tap();
      await page.locator('.incident-ids .badge.sev').tap();
      await expect.poll(() => page.getByTestId('tap-title').textContent()).toMatch(/Severity S2/);
      await shot(page, `tap-title-${layout.width}`);
      await page.getByTestId('tap-title').getByRole('button', { name: 'Close explanation' }).tap();
      await expect.poll(() => page.getByTestId('tap-title').count()).toBe(0);

      // Every tappable control on the page is at least 44 × 44 px.
      expect(await smallTargets(page)).toEqual([]);
    });

    it(`the incident list and the new-incident form at ${layout.name}: no sideways scroll, 44 px targets`, async () => {
      const page = await touchPage(layout, analyst);
      await bruteForceIncident(page);
      await page.goto('/');
      await page.getByTestId('incident-row').first().waitFor({ timeout: 30_000 });
      await shot(page, `list-${layout.width}`);
      await expectNoSidewaysScroll(page);
      expect(await smallTargets(page)).toEqual([]);

      await tapReachable(page, page.getByTestId('new-incident'));
      await page.getByTestId('create-incident').waitFor();
      await shot(page, `new-${layout.width}`);
      await expectNoSidewaysScroll(page);
      expect(await smallTargets(page)).toEqual([]);
      await tapReachable(page, page.getByTestId('create-incident'));
      // The title is required: the message is tied to the labelled field.
      await page.locator('#new-title-error').waitFor();
      expect(await page.getByLabel('Title', { exact: true }).getAttribute('id')).toBe('new-title');
    });

    it(`a lead approves a playbook step at ${layout.name} by tap`, async () => {
      const page = await touchPage(layout, analyst);
      const id = await bruteForceIncident(page);
      const run = await page.context().request.post(`/api/v1/incidents/${id}/execute-workflow`, { data: { playbook_id: PLAYBOOK } });
      expect(run.status()).toBe(202);
      await page.context().close();

      const leadPage = await touchPage(layout, lead);
      await leadPage.goto('/approvals');
      const mine = leadPage.locator(`[data-testid=approval]:has(a[href$="/incidents/${id}"])`);
      await mine.waitFor({ timeout: 60_000 });
      await expectNoSidewaysScroll(leadPage);
      await mine.getByTestId('approval-reason').fill('The director confirmed these logins are not hers.');
      await tapReachable(leadPage, mine.getByTestId('approval-approve'));
      await leadPage.getByTestId('approvals-notice').waitFor({ timeout: 10_000 });
      await expectNoSidewaysScroll(leadPage);
      expect(await smallTargets(leadPage)).toEqual([]);
    });
  }
});

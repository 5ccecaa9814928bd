// @vitest-environment node
/**
 * A timeline people can read (issue 20): a playbook run is one entry that says on its face which
 * steps failed and why and expands into its steps; the filter bar (kind, author, words, hide
 * automation) lives in the URL and survives a reload; times carry seconds and the zone the user
 * chose (UTC by default, the device's offered); a note's event time is corrected by its author
 * and recorded; edits and deletions say who and when.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser, BrowserContext, Page } from 'playwright-core';
import { addNote, adminRequest, baseURL, createUser, launchBrowser, loginThroughApi, newAnalyst, type Analyst } from './browser.ts';

const PLAYBOOK = 'brute-force-privileged';
const SECONDS = /\d\d:\d\d:\d\d/;

describe('the timeline', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let ana: Analyst;

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    ana = await newAnalyst(browser, admin, 'Tia Timeline', 'analyst');
    // The firewall, identity and AbuseIPDB steps cannot act: no connector is configured.
    for (const name of ['firewall', 'identity', 'abuseipdb']) await admin.delete(`/api/v1/connectors/${name}`);
  });
  afterAll(async () => {
    await admin?.dispose();
    await browser?.close();
  });

  async function bruteForce(): Promise<string> {
    const res = await ana.context.request.post('/api/v1/incidents', {
      data: {
        title: `Brute force on an intern ${Date.now()}`,
        category: 'account_compromise',
        severity: 'S3',
        observables: [
          { kind: 'account', value: 'intern@corp.test' },
          { kind: 'ip', value: '203.0.113.10' },
        ],
      },
    });
    expect(res.status()).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  async function runToTheEnd(id: string): Promise<string> {
    // Started once the server has the incident (a new incident's row may take a moment).
    let runId = '';
    await expect
      .poll(
        async () => {
          const started = await ana.context.request.post(`/api/v1/incidents/${id}/execute-workflow`, {
            data: { playbook_id: PLAYBOOK, idempotency_key: `timeline-${id}` },
          });
          if (started.status() < 300) runId = ((await started.json()) as { id: string }).id;
          return started.status();
        },
        { timeout: 30_000 },
      )
      .toBeLessThan(300);
    await expect
      .poll(async () => ((await (await ana.context.request.get(`/api/v1/runs/${runId}`)).json()) as { state: string }).state, { timeout: 60_000 })
      .toMatch(/^(succeeded|completed_with_failures|failed|cancelled)$/);
    return runId;
  }

  it('shows a playbook run as one entry with its failures on its face, expanding into its steps; the filter lives in the URL', async () => {
    const id = await bruteForce();
    await runToTheEnd(id);
    const page = ana.page;
    await page.goto(`/incidents/${id}`);
    const runs = page.getByTestId('timeline-run');
    await expect.poll(() => runs.count(), { timeout: 20_000 }).toBe(1);
    const run = runs.first();
    // The run's steps that could not act say so without expanding anything.
    await expect.poll(() => run.getByTestId('timeline-run-attention').textContent(), { timeout: 20_000 }).toContain('not configured');
    expect(await run.getByTestId('timeline-run-attention').textContent()).toContain('block_ip');
    const toggle = run.getByTestId('timeline-run-toggle');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const steps = run.getByTestId('timeline-run-step');
    expect(await steps.count()).toBeGreaterThan(3);
    expect(await run.locator('[data-testid=timeline-run-step][data-state=failed]').count()).toBeGreaterThan(0);

    await addNote(page, 'Called the intern: the logins were not theirs');
    // Hide automation: the run goes, the note stays; the URL says so and a reload keeps it.
    await page.getByTestId('timeline-hide-automation').check();
    await expect.poll(() => runs.count()).toBe(0);
    await page.getByTestId('timeline-entry').filter({ hasText: 'Called the intern' }).waitFor();
    await expect.poll(() => new URL(page.url()).searchParams.get('tl_auto')).toBe('hide');
    await page.reload();
    await page.getByTestId('timeline-entry').filter({ hasText: 'Called the intern' }).waitFor();
    expect(await page.getByTestId('timeline-hide-automation').isChecked()).toBe(true);
    expect(await runs.count()).toBe(0);
    // Words and kind narrow further; a search with no match says so and offers to clear.
    await page.getByTestId('timeline-filter-q').fill('nothing like this anywhere');
    await page.getByTestId('timeline-no-match').waitFor();
    await expect.poll(() => new URL(page.url()).searchParams.get('tl_q')).toBe('nothing like this anywhere');
    await page.getByTestId('timeline-no-match').getByRole('button', { name: 'Clear the filter' }).click();
    await expect.poll(() => runs.count()).toBe(1);
    await page.getByTestId('timeline-filter-kind').selectOption('note');
    await expect.poll(() => page.getByTestId('timeline-entry').count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('tl_kind')).toBe('note');
  });

  it('shows times with seconds in UTC by default, the device zone on request (kept per user), and records a corrected event time', async () => {
    // A device in Berlin: UTC unless the user picks the device's zone.
    const user = await createUser(admin, 'Bea Berlin', 'analyst');
    const context: BrowserContext = await browser.newContext({ baseURL: baseURL(), viewport: { width: 1200, height: 900 }, timezoneId: 'Europe/Berlin' });
    await loginThroughApi(context.request, user);
    const page: Page = await context.newPage();
    try {
      const created = await context.request.post('/api/v1/incidents', { data: { title: `Zones ${Date.now()}`, severity: 'S3' } });
      const id = ((await created.json()) as { id: string }).id;
      await page.goto(`/incidents/${id}`);
      await addNote(page, 'Host isolated by hand');
      // The header says where the edits are: on the server once stored, on this device while offline.
      const sync = page.getByTestId('sync-state');
      await expect.poll(() => sync.textContent(), { timeout: 30_000 }).toContain('Saved on the server');
      await context.setOffline(true);
      await addNote(page, 'Written in the server room');
      await expect.poll(() => sync.textContent(), { timeout: 15_000 }).toContain('saved on this device');
      await context.setOffline(false);
      await expect.poll(() => sync.textContent(), { timeout: 30_000 }).toContain('Saved on the server');
      const note = page.getByTestId('timeline-entry').filter({ hasText: 'Host isolated by hand' });
      const zone = page.getByTestId('timeline-zone');
      expect(await zone.inputValue()).toBe('UTC');
      const at = await note.getByTestId('timeline-at').getAttribute('datetime');
      const utcText = await note.getByTestId('timeline-at').textContent();
      expect(utcText).toMatch(SECONDS);
      const utcHour = new Date(at!).getUTCHours();
      expect(utcText).toContain(String(utcHour).padStart(2, '0') + ':');
      // Berlin is one or two hours ahead of UTC.
      await zone.selectOption('Europe/Berlin');
      await expect.poll(() => note.getByTestId('timeline-at').textContent()).not.toBe(utcText);
      expect(await note.getByTestId('timeline-at').textContent()).toMatch(SECONDS);
      await page.reload();
      expect(await page.getByTestId('timeline-zone').inputValue()).toBe('Europe/Berlin');
      await page.getByTestId('timeline-zone').selectOption('UTC');

      // The author corrects when it happened (in the display zone, UTC): recorded with the reason.
      await note.getByRole('button', { name: 'Correct time: when this happened' }).click();
      const form = page.getByTestId('timeline-correct-time');
      await form.getByLabel(/Happened at/).fill('2026-03-01T08:15:30');
      await form.getByLabel('Why (optional)').fill('time from the EDR console');
      await form.getByRole('button', { name: 'Save time' }).click();
      await expect.poll(() => note.getByTestId('timeline-at').getAttribute('datetime')).toBe('2026-03-01T08:15:30.000Z');
      expect(await note.getByTestId('timeline-at').textContent()).toContain('08:15:30');
      // The record time stays visible beside the corrected event time, and the note says who edited it.
      expect(await note.getByTestId('timeline-recorded').textContent()).toMatch(SECONDS);
      expect(await note.getByTestId('timeline-edited').textContent()).toContain('Bea Berlin');
      await page
        .getByTestId('timeline-entry')
        .filter({ hasText: 'Event time of an entry corrected' })
        .filter({ hasText: 'time from the EDR console' })
        .waitFor();

      // Deleting says who and when, in the API too.
      await note.getByRole('button', { name: 'Delete this note' }).click();
      await expect.poll(() => page.getByTestId('timeline-deleted').textContent()).toContain('deleted by Bea Berlin');
      await expect
        .poll(
          async () => {
            const tl = (await (await context.request.get(`/api/v1/incidents/${id}/timeline?include_deleted=true`)).json()) as {
              items: { deleted: boolean; deletedBy: string | null; deletedAt: string | null }[];
            };
            return tl.items.filter((e) => e.deleted).map((e) => [e.deletedBy, e.deletedAt !== null]);
          },
          { timeout: 15_000 },
        )
        .toEqual([['Bea Berlin', true]]);
    } finally {
      await context.close();
    }
  });
});

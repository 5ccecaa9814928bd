// @vitest-environment node
/**
 * Playbooks in the browser: an analyst runs the shipped brute-force playbook from the incident
 * page and follows each step's state; the gated step waits until a lead approves it on the
 * approvals page (a reason is required); a run requested offline waits in the outbox and starts
 * when the network returns, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { adminRequest, launchBrowser, newAnalyst, type Analyst } from './browser.ts';

const PLAYBOOK = 'brute-force-privileged';
const ACTIVE = ['queued', 'running', 'waiting_approval'];

describe('playbooks', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let ana: Analyst;
  let leo: Analyst;

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    ana = await newAnalyst(browser, admin, 'Ana Runner', 'analyst');
    leo = await newAnalyst(browser, admin, 'Leo Approver', 'lead');
  });
  afterAll(async () => {
    await admin?.dispose();
    await browser?.close();
  });

  /** A privileged account under brute force, created on the server (so the playbook matches it). */
  async function privilegedBruteForce(): Promise<string> {
    const res = await ana.context.request.post('/api/v1/incidents', {
      data: {
        title: `Brute force on the CEO ${Date.now()}`,
        category: 'account_compromise',
        severity: 'S2',
        tags: ['privileged'],
        observables: [
          { kind: 'account', value: 'ceo@corp.test' },
          { kind: 'ip', value: '203.0.113.9' },
        ],
      },
    });
    expect(res.status()).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  it('runs a playbook from the incident page, waits for a lead, and goes on once approved', async () => {
    const id = await privilegedBruteForce();
    const page = ana.page;
    await page.goto(`/incidents/${id}`);
    const row = page.locator(`[data-testid=playbook-row][data-playbook=${PLAYBOOK}]`);
    await row.waitFor({ timeout: 30_000 });

    await row.getByTestId('playbook-run').click();
    await expect.poll(() => page.getByTestId('run-confirm-gated').textContent()).toContain('disable_account');
    await page.getByTestId('run-confirm-go').click();

    const run = page.getByTestId('run-card').first();
    await run.waitFor({ timeout: 20_000 });
    await run.locator('[data-testid=step-row][data-step=disable_account][data-state=waiting_approval]').waitFor({ timeout: 60_000 });
    expect(await run.locator('[data-step=disable_account] [data-testid=step-state]').textContent()).toBe('waiting for approval');

    // The starter is an analyst: only the lead sees it in the queue.
    await leo.page.goto('/approvals');
    const approval = leo.page.getByTestId('approval').filter({ hasText: 'ceo@corp.test' });
    await approval.waitFor({ timeout: 20_000 });
    await approval.getByTestId('approval-approve').click();
    await expect.poll(() => approval.getByTestId('approval-error').textContent()).toMatch(/say why/i);
    await approval.getByTestId('approval-reason').fill('The CEO confirmed these logins are not his.');
    await approval.getByTestId('approval-approve').click();
    await leo.page.getByTestId('approvals-notice').waitFor({ timeout: 10_000 });
    await expect.poll(() => approval.count(), { timeout: 15_000 }).toBe(0);

    // The analyst's page follows: the gate opens and the run finishes.
    await run.locator('[data-testid=step-row][data-step=disable_account]:not([data-state=waiting_approval])').waitFor({ timeout: 30_000 });
    await expect.poll(() => run.getAttribute('data-state'), { timeout: 60_000 }).not.toMatch(new RegExp(`^(${ACTIVE.join('|')})$`));
    expect(await run.locator('[data-step=announce]').getAttribute('data-state')).toBe('succeeded');
  });

  it('keeps a run requested offline in the outbox and starts it once the network is back', async () => {
    const id = await privilegedBruteForce();
    const page = ana.page;
    await page.goto(`/incidents/${id}`);
    const row = page.locator(`[data-testid=playbook-row][data-playbook=${PLAYBOOK}]`);
    await row.waitFor({ timeout: 30_000 });

    await ana.context.setOffline(true);
    await row.getByTestId('playbook-dry-run').click();
    await page.getByTestId('run-confirm-go').click();
    const entry = page.getByTestId('outbox-entry');
    await expect.poll(() => entry.textContent(), { timeout: 10_000 }).toContain('Waiting for network');

    await ana.context.setOffline(false);
    const dry = page.locator('[data-testid=run-card]:has([data-testid=run-dry])');
    await dry.waitFor({ timeout: 60_000 });
    await expect.poll(() => entry.count(), { timeout: 20_000 }).toBe(0);

    // Started once: the server lists one dry run for the incident.
    const runs = (await (await ana.context.request.get(`/api/v1/incidents/${id}/runs`)).json()) as { items: { dry_run: boolean }[] };
    expect(runs.items.filter((r) => r.dry_run)).toHaveLength(1);
  });
});

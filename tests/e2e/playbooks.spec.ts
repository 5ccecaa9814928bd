// @vitest-environment node
/**
 * Playbooks in the browser: an analyst runs the shipped brute-force playbook from the incident
 * page and follows each step's state; the gated step waits until a lead approves it on the
 * approvals page (a reason is required); a run requested offline waits in the outbox and starts
 * when the network returns, once. With no connector configured (as here), the gate warns before
 * anyone decides and the run ends "completed with failures" listing each failed step and why,
 * never "succeeded". A new incident's playbooks and intel panels say "Preparing…" and fill in
 * within seconds, never showing the server's "no incident".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { adminRequest, createIncidentViaUi, launchBrowser, newAnalyst, type Analyst } from './browser.ts';

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
    // The firewall, identity and AbuseIPDB steps cannot act: no connector is configured.
    for (const name of ['firewall', 'identity', 'abuseipdb']) await admin.delete(`/api/v1/connectors/${name}`);
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
    // The confirmation says which steps cannot act (no connector), the gated one first.
    await expect.poll(() => page.locator('[data-testid=run-confirm] [data-testid=step-warning]').first().getAttribute('data-step')).toBe('disable_account');
    await page.getByTestId('run-confirm-go').click();

    const run = page.getByTestId('run-card').first();
    await run.waitFor({ timeout: 20_000 });
    await run.locator('[data-testid=step-row][data-step=disable_account][data-state=waiting_approval]').waitFor({ timeout: 60_000 });
    expect(await run.locator('[data-step=disable_account] [data-testid=step-state]').textContent()).toBe('waiting for approval');
    // Before anyone decides, the run says approving cannot act.
    await expect
      .poll(() => run.locator('[data-testid=step-warning][data-connector=identity]').textContent(), { timeout: 10_000 })
      .toContain('connector "identity" is not configured');

    // The starter is an analyst: only the lead sees it in the queue.
    await leo.page.goto('/approvals');
    const approval = leo.page.getByTestId('approval').filter({ hasText: 'ceo@corp.test' });
    await approval.waitFor({ timeout: 20_000 });
    // The request names what will be done, and says plainly that it cannot be done.
    expect(await approval.getByTestId('approval-action').textContent()).toContain('identity.disable_account');
    expect(await approval.getByTestId('step-warning').textContent()).toContain('connector "identity" is not configured');
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
    // Its actions failed (no connector): the run says so, with each failed step and its reason.
    expect(await run.getAttribute('data-state')).toBe('completed_with_failures');
    expect(await run.getByTestId('run-state').textContent()).not.toMatch(/succeeded/);
    await expect.poll(() => run.locator('[data-testid=run-failure][data-step=disable_account]').textContent()).toContain('connector "identity" not configured');
    expect(await run.locator('[data-testid=run-failure][data-step=block_ip]').textContent()).toContain('connector "firewall" not configured');
  });

  it('a new incident shows "Preparing…" on its server panels, never "no incident", and fills them in within seconds', async () => {
    const page = await ana.context.newPage();
    // Every text the two panels ever show, from the first paint on.
    await page.addInitScript(() => {
      const seen = new Set<string>();
      (window as unknown as { __panelTexts: Set<string> }).__panelTexts = seen;
      new MutationObserver(() => {
        for (const id of ['playbooks-panel', 'intel-matches']) {
          const text = document.querySelector(`[data-testid=${id}]`)?.textContent;
          if (text) seen.add(text);
        }
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    // Hold the new incident's document back from the server for a moment (a slow uplink): its
    // socket is refused and background sync fails until the gate opens.
    let open = false;
    await page.routeWebSocket(/\/sync\/[0-9a-f-]{36}/, (ws) => {
      if (open) ws.connectToServer();
      else void ws.close();
    });
    await page.route('**/api/v1/sync/batch', (route) => (open ? route.continue() : route.abort('internetdisconnected')));
    try {
      await createIncidentViaUi(page, `Fresh incident ${Date.now()}`);
      // The panels asked the server, which does not know the incident yet: calm, not an error.
      await expect.poll(() => page.getByTestId('playbooks-panel').textContent(), { timeout: 10_000 }).toContain('Preparing…');
      await expect.poll(() => page.getByTestId('intel-matches').textContent(), { timeout: 10_000 }).toContain('Preparing…');
      open = true;
      // Once it arrives (the key comes back), both fill in at once, not at their next slow poll.
      await page.locator('[data-testid=incident-key]:not(.pending)').waitFor({ timeout: 10_000 });
      await expect.poll(() => page.getByTestId('playbooks-panel').textContent(), { timeout: 6_000 }).toContain('No playbook applies to this incident.');
      await expect
        .poll(() => page.getByTestId('intel-matches').textContent(), { timeout: 6_000 })
        .toContain('No observable of this incident matches a known indicator.');
      const texts = await page.evaluate(() => [...(window as unknown as { __panelTexts: Set<string> }).__panelTexts]);
      expect(texts.filter((t) => /no incident [0-9a-f-]{36}/i.test(t))).toEqual([]);
    } finally {
      await page.close();
    }
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

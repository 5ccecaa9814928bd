// @vitest-environment node
/** Smoke test of the admin pages: invite a user (who accepts), create an API token (secret shown once), the audit log verifies clean. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { request, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createIncidentViaUi, launchBrowser, loginThroughApi } from './browser.ts';

describe('admin pages', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ baseURL: inject('baseURL'), viewport: { width: 1300, height: 900 } });
    await loginThroughApi(context.request, inject('admin'));
    page = await context.newPage();
    page.on('pageerror', (e) => console.error('[admin] page error:', e.message));
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('invites a user, who sets a password through the link and is logged in', async () => {
    await page.goto('/');
    await page.getByTestId('nav-users').click();
    await page.waitForURL(/\/admin\/users$/);
    const email = `new.analyst.${Date.now()}@example.test`;
    await page.getByTestId('invite-email').fill(email);
    await page.getByTestId('invite-name').fill('Nora Newcomer');
    await page.getByTestId('invite-role').selectOption('analyst');
    await page.getByTestId('invite-user').click();
    const link = await page.getByTestId('invite-url').inputValue();
    expect(link).toMatch(/\/accept-invite#token=/);
    await page.getByTestId('user-row').filter({ hasText: email }).waitFor();

    const invitee = await browser.newContext({ baseURL: inject('baseURL') });
    const p = await invitee.newPage();
    await p.goto(new URL(link).pathname + new URL(link).hash);
    await p.getByTestId('invite-password').fill('a fresh password for Nora');
    await p.getByTestId('invite-repeat').fill('a fresh password for Nora');
    await p.getByTestId('invite-submit').click();
    await p.getByTestId('incident-list').waitFor({ timeout: 15_000 });
    expect(await p.getByTestId('user-name').textContent()).toBe('Nora Newcomer');
    await invitee.close();
  });

  it('re-issues an invitation link that was closed: the new link works, the old one is refused', async () => {
    await page.goto('/admin/users');
    const email = `late.joiner.${Date.now()}@example.test`;
    await page.getByTestId('invite-email').fill(email);
    await page.getByTestId('invite-name').fill('Lena Late');
    await page.getByTestId('invite-user').click();
    const first = await page.getByTestId('invite-url').inputValue();
    // The admin closes the box before sending the link.
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByTestId('invite-url').count()).toBe(0);
    const row = page.getByTestId('user-row').filter({ hasText: email });
    await row.getByRole('button', { name: 'New invitation link for Lena Late' }).click();
    await page.getByRole('status').filter({ hasText: 'the earlier one no longer works' }).waitFor();
    const second = await page.getByTestId('invite-url').inputValue();
    expect(second).toMatch(/\/accept-invite#token=/);
    expect(second).not.toBe(first);

    const invitee = await browser.newContext({ baseURL: inject('baseURL') });
    const token = (link: string): string => decodeURIComponent(new URL(link).hash.replace('#token=', ''));
    const old = await invitee.request.post('/api/v1/auth/accept-invite', { data: { token: token(first), password: 'a fresh password for Lena' } });
    expect(old.status()).toBe(401);
    const p = await invitee.newPage();
    await p.goto(new URL(second).pathname + new URL(second).hash);
    await p.getByTestId('invite-password').fill('a fresh password for Lena');
    await p.getByTestId('invite-repeat').fill('a fresh password for Lena');
    await p.getByTestId('invite-submit').click();
    await p.getByTestId('incident-list').waitFor({ timeout: 15_000 });
    await invitee.close();
    // Accepted: no more links to re-issue.
    await page.reload();
    await row.filter({ hasText: 'Active' }).waitFor();
    expect(await row.getByTestId('reissue-invite').count()).toBe(0);
  });

  it('creates an API token whose secret is shown once and works as a bearer token', async () => {
    await page.goto('/admin/tokens');
    await page.getByTestId('token-name').fill('SIEM alerts');
    await page.getByTestId('token-role').selectOption('analyst');
    await page.getByTestId('create-token').click();
    const secret = await page.getByTestId('token-secret').inputValue();
    expect(secret.length).toBeGreaterThan(20);
    const row = page.getByTestId('token-row').filter({ hasText: 'SIEM alerts' });
    await row.waitFor();

    const api = await request.newContext({ baseURL: inject('baseURL'), extraHTTPHeaders: { authorization: `Bearer ${secret}` } });
    expect((await api.get('/api/v1/incidents')).status()).toBe(200);

    // Gone after a reload: the server keeps only a hash.
    await page.reload();
    await row.waitFor();
    expect(await page.getByTestId('token-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    page.once('dialog', (d) => void d.accept());
    await row.getByTestId('revoke-token').click();
    await expect.poll(async () => (await api.get('/api/v1/incidents')).status(), { timeout: 10_000 }).toBe(401);
    await api.dispose();
  });

  it('ID9: shows audit entries and verifies the chain', async () => {
    const id = await createIncidentViaUi(page, `Audit trail check ${Date.now()}`, 'S3');
    await expect.poll(() => page.getByTestId('incident-key').textContent(), { timeout: 20_000 }).toMatch(/IR-/);
    await page.getByTestId('nav-audit').click();
    await page.waitForURL(/\/audit$/);
    await page.getByTestId('audit-row').first().waitFor({ timeout: 15_000 });

    await page.getByTestId('audit-incident').fill(id);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.getByTestId('audit-row').filter({ hasText: id }).count(), { timeout: 15_000 }).toBeGreaterThan(0);

    await page.getByTestId('audit-verify').click();
    await expect.poll(() => page.getByTestId('audit-verify-result').textContent(), { timeout: 15_000 }).toMatch(/Chain intact/);
  });
});

// @vitest-environment node
/** The session ends while working offline: back online the user is asked to log in again, and no edit is lost. */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { addNote, adminRequest, createIncidentViaUi, launchBrowser, loginThroughUi, newAnalyst, type Analyst } from './browser.ts';

describe('session expiry', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let alice: Analyst;
  let bob: Analyst;
  let sql: postgres.Sql;

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    alice = await newAnalyst(browser, admin, 'Alice Expiring');
    bob = await newAnalyst(browser, admin, 'Bob Watching');
    sql = postgres(inject('databaseUrl'), { max: 1, onnotice: () => undefined });
  });
  afterAll(async () => {
    await sql?.end();
    await admin?.dispose();
    await browser?.close();
  });

  it('keeps the offline edits through an expired session and syncs them after logging in again', async () => {
    const title = `Credential stuffing ${Date.now()}`;
    const id = await createIncidentViaUi(alice.page, title, 'S2');
    await expect.poll(() => alice.page.getByTestId('incident-key').textContent(), { timeout: 20_000 }).toMatch(/IR-/);

    await alice.context.setOffline(true);
    await expect.poll(() => alice.page.getByTestId('connection-state').textContent(), { timeout: 15_000 }).toMatch(/offline/i);
    await addNote(alice.page, 'Locked 12 accounts (offline note).');
    await addNote(alice.page, 'Enabled MFA prompts (offline note 2).');

    // The session ends while she is offline.
    await sql`UPDATE sessions SET expires_at = now() WHERE user_id = ${alice.id}`;
    // The server caches a resolved session for up to 5 s; let that lapse while she is offline.
    await new Promise((resolve) => setTimeout(resolve, 6_000));

    await alice.context.setOffline(false);
    const dialog = alice.page.getByTestId('session-expired');
    await dialog.waitFor({ timeout: 45_000 });
    expect(await dialog.textContent()).toMatch(/session has expired/i);
    // Still on the incident, with her notes on screen.
    expect(new URL(alice.page.url()).pathname).toBe(`/incidents/${id}`);
    await alice.page.getByTestId('timeline-entry').filter({ hasText: 'Locked 12 accounts' }).waitFor();
    expect(Number(await alice.page.getByTestId('pending-count').textContent())).toBeGreaterThan(0);

    await loginThroughUi(alice.page, alice);
    await dialog.waitFor({ state: 'detached', timeout: 15_000 });
    await expect.poll(async () => Number(await alice.page.getByTestId('pending-count').textContent()), { timeout: 30_000 }).toBe(0);

    await bob.page.goto(`/incidents/${id}`);
    for (const text of ['Locked 12 accounts', 'Enabled MFA prompts']) {
      await bob.page.getByTestId('timeline-entry').filter({ hasText: text }).first().waitFor({ timeout: 30_000 });
    }
    // Live again: a note from Bob reaches Alice over the reconnected socket.
    await addNote(bob.page, 'Reset the affected passwords.');
    await alice.page.getByTestId('timeline-entry').filter({ hasText: 'Reset the affected passwords.' }).waitFor({ timeout: 20_000 });
  });

  it('ID4: asks to log in again when an admin ends the session while she is online, and keeps what she writes meanwhile', async () => {
    const id = await createIncidentViaUi(alice.page, `Revoked mid-work ${Date.now()}`, 'S3');
    await expect.poll(() => alice.page.getByTestId('incident-key').textContent(), { timeout: 20_000 }).toMatch(/IR-/);

    const res = await admin.post(`/api/v1/users/${alice.id}/revoke-sessions`, { data: {} });
    expect(res.ok()).toBe(true);
    // The server closes her socket (4403); the dialog comes over the incident.
    await alice.page.getByTestId('session-expired').waitFor({ timeout: 45_000 });
    await addNote(alice.page, 'Written while signed out.');

    await loginThroughUi(alice.page, alice);
    await alice.page.getByTestId('session-expired').waitFor({ state: 'detached', timeout: 15_000 });
    await bob.page.goto(`/incidents/${id}`);
    await bob.page.getByTestId('timeline-entry').filter({ hasText: 'Written while signed out.' }).waitFor({ timeout: 30_000 });
  });

  it('sends a user with no session to the login page and back to where they were', async () => {
    const context = await browser.newContext({ baseURL: inject('baseURL') });
    const page = await context.newPage();
    await page.goto('/incidents/new');
    await page.waitForURL(/\/login\?/);
    await loginThroughUi(page, { email: 'nobody@example.test', password: 'wrong password here' });
    await expect.poll(() => page.getByTestId('login-error').textContent(), { timeout: 10_000 }).toBeTruthy();
    await loginThroughUi(page, alice);
    await page.waitForURL(/\/incidents\/new$/);
    await page.getByTestId('field-title').waitFor();
    await context.close();
  });
});

// @vitest-environment node
/**
 * Evidence captured with the network gone: it waits on the device with its SHA-256, uploads by
 * itself when the network returns, is verified by the server, and downloads back byte for byte
 * (with a reason, recorded in the custody log). A lead's legal hold blocks an admin's deletion,
 * and an admin's retention setting survives a reload. A note links evidence after the fact.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { addNote, adminRequest, baseURL, createIncidentViaUi, launchBrowser, newAnalyst, waitForServiceWorker, type Analyst } from './browser.ts';

describe('evidence locker', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let alice: Analyst;
  let lena: Analyst;

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    alice = await newAnalyst(browser, admin, 'Alice Evidence');
    lena = await newAnalyst(browser, admin, 'Lena Lead', 'lead');
  });
  afterAll(async () => {
    await admin?.dispose();
    await browser?.close();
  });

  it('evidence added offline waits on the device, survives closing the app, is verified after reconnecting, and downloads back unchanged', async () => {
    const { context } = alice;
    let page = alice.page;
    const id = await createIncidentViaUi(page, `Compromised web server ${Date.now()}`, 'S2');
    await expect.poll(() => page.getByTestId('incident-key').textContent(), { timeout: 20_000 }).toMatch(/IR-/);
    let panel = page.getByTestId('evidence-panel');
    await panel.waitFor();
    await waitForServiceWorker(page);

    await context.setOffline(true);
    await expect.poll(() => page.getByTestId('connection-state').textContent(), { timeout: 15_000 }).toMatch(/offline/i);

    const bytes = randomBytes(700 * 1024);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const name = `access-${Date.now()}.log`;
    await panel.getByTestId('evidence-add').click();
    const form = panel.getByTestId('evidence-capture-form');
    await form.getByTestId('evidence-file').setInputFiles({ name, mimeType: 'text/plain', buffer: bytes });
    await form.getByLabel('Type').selectOption('log');
    await form.getByLabel('Collected where').fill('DC1, rack 4');
    await form.getByLabel('Source host').fill('web-01');
    await form.getByLabel('Description').fill('nginx access log <script>alert(1)</script>');
    await form.getByTestId('evidence-capture-submit').click();

    let row = panel.getByTestId('evidence-row').filter({ hasText: name });
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 15_000 }).toBe('waiting');
    expect(await row.getByTestId('evidence-state').textContent()).toBe('waiting');
    // The device computed the SHA-256 itself, before any upload.
    expect(await row.getByTestId('evidence-sha256').getAttribute('data-sha256')).toBe(sha256);
    // Untrusted text is shown as text.
    await row.getByText('nginx access log <script>alert(1)</script>').waitFor();
    // Nothing left the device while offline.
    await page.waitForTimeout(1_000);
    expect(await row.getAttribute('data-state')).toBe('waiting');

    // Close the app and open it again, still offline: the capture is still there.
    await page.close();
    page = await context.newPage();
    await page.goto(`/incidents/${id}`);
    panel = page.getByTestId('evidence-panel');
    row = panel.getByTestId('evidence-row').filter({ hasText: name });
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 20_000 }).toBe('waiting');
    alice.page = page;

    await context.setOffline(false);
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 60_000 }).toBe('verified');
    expect(await row.getByTestId('evidence-state').textContent()).toBe('verified');

    // The server lists it with the same hash.
    const listed = await context.request.get(`/api/v1/incidents/${id}/evidence`);
    expect(listed.status()).toBe(200);
    const items = ((await listed.json()) as { items: { file_name: string; sha256: string; size: number }[] }).items;
    expect(items.find((i) => i.file_name === name)).toMatchObject({ sha256, size: bytes.length });

    // Download it back (a reason is asked and recorded) and compare the bytes.
    await row.getByTestId('evidence-download').click();
    const reasonForm = row.getByTestId('evidence-reason-form');
    await reasonForm.getByRole('textbox').fill('Timeline analysis of the intrusion');
    // A network blip while the reason is typed reloads the list; the form and its text stay.
    await context.setOffline(true);
    await expect.poll(() => page.getByTestId('connection-state').textContent(), { timeout: 15_000 }).toMatch(/offline/i);
    const reloaded = page.waitForResponse((r) => r.url().endsWith(`/api/v1/incidents/${id}/evidence`) && r.request().method() === 'GET', { timeout: 30_000 });
    await context.setOffline(false);
    await reloaded;
    expect(await reasonForm.getByRole('textbox').inputValue()).toBe('Timeline analysis of the intrusion');
    const [download] = await Promise.all([page.waitForEvent('download'), reasonForm.getByRole('button', { name: 'Download' }).click()]);
    const path = await download.path();
    const back = await readFile(path);
    expect(back.length).toBe(bytes.length);
    expect(createHash('sha256').update(back).digest('hex')).toBe(sha256);

    // The custody log records the upload and the download, with the reason, and verifies.
    await row.getByRole('button', { name: 'Custody log' }).click();
    const custody = row.getByTestId('evidence-custody');
    await expect.poll(() => custody.getByTestId('evidence-chain').textContent(), { timeout: 10_000 }).toBe('Chain verified');
    await custody.getByText('Timeline analysis of the intrusion').waitFor();
    // The server hashes the stored (encrypted) file again.
    await custody.getByTestId('evidence-verify-stored').click();
    await expect
      .poll(() => custody.getByTestId('evidence-verify-result').textContent(), { timeout: 20_000 })
      .toBe('The stored file still matches its SHA-256.');
  });

  it('a malware sample downloads only as a zip, and a lead exports the evidence with a reason and sees the legal hold', async () => {
    const { page, context } = lena;
    const id = await createIncidentViaUi(page, `Emotet dropper ${Date.now()}`, 'S1');
    await expect.poll(() => page.getByTestId('incident-key').textContent(), { timeout: 20_000 }).toMatch(/IR-/);
    const panel = page.getByTestId('evidence-panel');
    const bytes = Buffer.concat([Buffer.from('MZ'), randomBytes(40 * 1024)]);
    const name = `invoice-${Date.now()}.exe`;
    await panel.getByTestId('evidence-add').click();
    const form = panel.getByTestId('evidence-capture-form');
    await form.getByTestId('evidence-file').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: bytes });
    await form.getByLabel('Type').selectOption('malware_sample');
    await form.getByTestId('evidence-capture-submit').click();
    const row = panel.getByTestId('evidence-row').filter({ hasText: name });
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('verified');

    // Only the zip protected with "infected" is offered; the raw bytes never reach the page.
    await row.getByTestId('evidence-download').click();
    const reasonForm = row.getByTestId('evidence-reason-form');
    await reasonForm.getByText('password "infected"').waitFor();
    await reasonForm.getByRole('textbox').fill('Send to the sandbox');
    const [download] = await Promise.all([page.waitForEvent('download'), reasonForm.getByRole('button', { name: 'Download zip' }).click()]);
    const zip = await readFile(await download.path());
    expect(zip.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(zip.includes(bytes.subarray(0, 4096))).toBe(false);

    // Legal hold shows on the panel.
    const hold = await context.request.put(`/api/v1/incidents/${id}/legal-hold`, { data: { reason: 'Litigation hold from counsel' } });
    expect(hold.ok()).toBe(true);
    await page.reload();
    await page.getByTestId('evidence-legal-hold').filter({ hasText: 'Litigation hold from counsel' }).waitFor({ timeout: 20_000 });

    // Export asks why, then downloads one archive.
    await page.getByTestId('evidence-panel').getByRole('button', { name: 'Export' }).click();
    const exportForm = page.getByTestId('evidence-panel').getByTestId('evidence-reason-form');
    await exportForm.getByRole('button', { name: 'Export archive' }).click();
    await exportForm.getByRole('alert').filter({ hasText: 'at least 3 characters' }).waitFor();
    await exportForm.getByRole('textbox').fill('Court case 2026-114');
    const [archive] = await Promise.all([page.waitForEvent('download'), exportForm.getByRole('button', { name: 'Export archive' }).click()]);
    const exported = await readFile(await archive.path());
    expect(exported.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(archive.suggestedFilename()).toMatch(/\.zip$/);
  });

  it('a lead places a legal hold with a reason, an admin is refused the deletion with the hold message, the lead releases it, and an admin sets a retention that survives a reload', async () => {
    const { page, context } = lena;
    const ada = await newAnalyst(browser, admin, 'Ada Admin', 'admin');
    // The incident and its item come through the API: this test is about what follows.
    const created = await context.request.post('/api/v1/incidents', { data: { title: `Held case ${Date.now()}`, category: 'insider' } });
    expect(created.status()).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    const bytes = randomBytes(4 * 1024);
    const name = `mailbox-${Date.now()}.pst`;
    const metadata = {
      type: 'email',
      file_name: name,
      collected_at: new Date().toISOString(),
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      upload_key: `e2e-${Date.now()}`,
    };
    const stored = await context.request.post(`/api/v1/incidents/${id}/evidence`, {
      multipart: { metadata: JSON.stringify(metadata), file: { name, mimeType: 'application/octet-stream', buffer: bytes } },
      headers: { origin: baseURL() },
    });
    expect(stored.status()).toBe(201);

    await page.goto(`/incidents/${id}`);
    const panel = page.getByTestId('evidence-panel');
    await panel.getByTestId('evidence-row').filter({ hasText: name }).waitFor({ timeout: 20_000 });
    // Leads may hold but not delete.
    expect(await panel.getByTestId('evidence-delete').count()).toBe(0);
    await panel.getByTestId('evidence-hold-place').click();
    const holdForm = panel.getByTestId('evidence-reason-form');
    await holdForm.getByRole('textbox').fill('Counsel <b>preserve</b> all mail');
    await holdForm.getByRole('button', { name: 'Place legal hold' }).click();
    await panel.getByTestId('evidence-legal-hold').filter({ hasText: 'Counsel <b>preserve</b> all mail' }).waitFor({ timeout: 10_000 });

    // The admin's deletion names the file, asks why, and shows the server's refusal as it words it.
    const adminPage = ada.page;
    await adminPage.goto(`/incidents/${id}`);
    const row = adminPage.getByTestId('evidence-panel').getByTestId('evidence-row').filter({ hasText: name });
    await row.getByTestId('evidence-delete').click({ timeout: 20_000 });
    const deleteForm = row.getByTestId('evidence-reason-form');
    await deleteForm.getByText(`Delete "${name}"`).waitFor();
    await deleteForm.getByRole('textbox').fill('Collected twice');
    await deleteForm.getByRole('button', { name: 'Delete evidence' }).click();
    await expect
      .poll(() => row.getByTestId('evidence-delete-error').textContent(), { timeout: 10_000 })
      .toMatch(/under legal hold since .*: evidence cannot be deleted/);
    expect(await row.count()).toBe(1);

    await panel.getByTestId('evidence-hold-release').click();
    const releaseForm = panel.getByTestId('evidence-reason-form');
    await releaseForm.getByRole('textbox').fill('Matter settled');
    await releaseForm.getByRole('button', { name: 'Release legal hold' }).click();
    await panel.getByTestId('evidence-hold-place').waitFor({ timeout: 10_000 });
    expect(await panel.getByTestId('evidence-legal-hold').count()).toBe(0);

    // Retention: checked before saving, saved, and read back after a reload.
    await adminPage.getByTestId('nav-evidence').click();
    await adminPage.waitForURL(/\/admin\/evidence$/);
    const insider = adminPage.getByTestId('retention-form').getByLabel('Insider threat: days kept');
    await expect.poll(() => adminPage.getByTestId('retention-save').isDisabled(), { timeout: 10_000 }).toBe(true);
    await insider.fill('-5');
    await adminPage.getByTestId('retention-save').click();
    await adminPage.getByRole('alert').filter({ hasText: 'whole days, 0 or more' }).waitFor();
    const days = String(400 + (Date.now() % 1_000));
    await insider.fill(days);
    await adminPage.getByTestId('retention-save').click();
    await adminPage.getByTestId('retention-saved').waitFor({ timeout: 10_000 });
    await adminPage.reload();
    await expect.poll(() => adminPage.getByTestId('retention-form').getByLabel('Insider threat: days kept').inputValue(), { timeout: 10_000 }).toBe(days);
    expect(await adminPage.locator('[data-testid="retention-row"][data-category="insider"] [data-testid="retention-saved-days"]').textContent()).toBe(days);
  });
  it('an analyst links a stored item to a note; the link shows on the note and under the item, leads to it, and reaches the timeline API', async () => {
    const { page, context } = alice;
    const created = await context.request.post('/api/v1/incidents', { data: { title: `Beaconing ${Date.now()}`, category: 'malware' } });
    expect(created.status()).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    const bytes = randomBytes(2 * 1024);
    const name = `proxy-${Date.now()}.log`;
    const metadata = {
      type: 'log',
      file_name: name,
      collected_at: new Date().toISOString(),
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      upload_key: `e2e-link-${Date.now()}`,
    };
    const stored = await context.request.post(`/api/v1/incidents/${id}/evidence`, {
      multipart: { metadata: JSON.stringify(metadata), file: { name, mimeType: 'application/octet-stream', buffer: bytes } },
      headers: { origin: baseURL() },
    });
    expect(stored.status()).toBe(201);
    const evidenceId = ((await stored.json()) as { id: string }).id;

    await page.goto(`/incidents/${id}`);
    await page
      .getByTestId('timeline-entry')
      .filter({ hasText: `Evidence added: ${name}` })
      .waitFor({ timeout: 20_000 });
    const text = 'Beacon every 60 s to 203.0.113.7 seen in the proxy log';
    await addNote(page, text);
    const note = page.getByTestId('timeline-entry').filter({ hasText: text });
    await note.getByTestId('timeline-link-evidence').click();
    await note.getByLabel('Evidence to link').selectOption({ label: name });
    await note.getByRole('button', { name: 'Link', exact: true }).click();
    const chip = note.getByTestId('timeline-evidence').getByRole('button', { name, exact: true });
    await chip.waitFor();
    // The link leads to the item's row in the evidence panel, which names the note.
    await chip.click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe(`evidence-${evidenceId}`);
    const linkedFrom = page.locator(`#evidence-${evidenceId}`).getByTestId('evidence-linked-from');
    await linkedFrom.getByText(text).waitFor({ timeout: 5_000 });
    // Stored in the incident document: the server projects it into the timeline API.
    await expect
      .poll(
        async () =>
          ((await (await context.request.get(`/api/v1/incidents/${id}/timeline`)).json()) as { items: { text: string; evidence: string[] }[] }).items.find(
            (e) => e.text === text,
          )?.evidence,
        { timeout: 15_000 },
      )
      .toEqual([evidenceId]);
    // Unlink takes it away again.
    await note.getByRole('button', { name: `Unlink ${name}` }).click();
    await expect.poll(() => chip.count()).toBe(0);
    await expect.poll(() => linkedFrom.count(), { timeout: 5_000 }).toBe(0);
  });
});

// @vitest-environment node
/**
 * The PWA under its Content-Security-Policy: the page is served with the strict policy, the app
 * shell loads and installs its service worker, an incident syncs over the websocket, the
 * incident list lays out its virtual rows, the API reference page is styled, and the browser
 * reports no CSP violation on the way. A page of another origin cannot frame the app.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser } from 'playwright-core';
import { addNote, adminRequest, baseURL, createIncidentViaUi, launchBrowser, newAnalyst, waitForServiceWorker, type Analyst } from './browser.ts';

describe('the PWA under its Content-Security-Policy', () => {
  let browser: Browser;
  let admin: APIRequestContext;
  let ana: Analyst;
  const violations: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    admin = await adminRequest();
    ana = await newAnalyst(browser, admin, 'Casey Policy');
    await ana.context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} ${e.sample}`),
      );
    });
    ana.page.on('console', (m) => {
      if (/Content Security Policy|CSP violation/i.test(m.text())) violations.push(m.text());
    });
  });
  afterAll(async () => {
    await admin?.dispose();
    await browser?.close();
  });

  it('loads, installs its service worker and syncs an incident with no violation', async () => {
    const page = ana.page;
    const res = await page.goto('/');
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'self'");
    expect(res?.headers()['x-frame-options']).toBe('DENY');
    await waitForServiceWorker(page);
    const title = `CSP check ${Date.now()}`;
    await createIncidentViaUi(page, title);
    await addNote(page, 'Written under the policy.');
    // The human key comes back from the server over the websocket.
    await expect.poll(() => page.getByTestId('incident-key').textContent(), { timeout: 20_000 }).toMatch(/IR-/);
    // CodeMirror's themes (a <style> element) apply: its base theme makes the editor a flex column.
    const editor = page.locator('.cm-editor').first();
    await editor.waitFor();
    expect(await editor.evaluate((el) => getComputedStyle(el).display)).toBe('flex');

    await page.goto('/');
    const list = page.getByRole('list', { name: 'Incidents' });
    await list.waitFor();
    await page.getByText(title).first().waitFor();
    const layout = await list.evaluate((el) => ({ list: getComputedStyle(el).position, window: getComputedStyle(el.firstElementChild as Element).position }));
    expect(layout).toEqual({ list: 'relative', window: 'absolute' });
    expect(violations).toEqual([]);
  });

  it('serves a styled API reference page under its own policy', async () => {
    const page = ana.page;
    const res = await page.goto('/api/docs');
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toMatch(/style-src 'sha256-/);
    const border = await page
      .locator('.op')
      .first()
      .evaluate((el) => getComputedStyle(el).borderTopStyle);
    expect(border).toBe('solid');
    expect(violations).toEqual([]);
  });

  it('cannot be framed by a page of another origin', async () => {
    const framer: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><iframe id="f" src="${baseURL()}/"></iframe>`);
    });
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
    try {
      const page = await ana.context.newPage();
      const blocked: string[] = [];
      page.on('console', (m) => blocked.push(m.text()));
      await page.goto(`http://localhost:${(framer.address() as AddressInfo).port}/`);
      await expect.poll(() => blocked.some((t) => /frame-ancestors|Refused to display/i.test(t)), { timeout: 10_000 }).toBe(true);
      const framed = page.frames().find((f) => f !== page.mainFrame());
      expect(
        await framed
          ?.locator('#app')
          .count()
          .catch(() => 0),
      ).toBe(0);
      await page.close();
    } finally {
      await new Promise<void>((resolve) => framer.close(() => resolve()));
    }
  });
});

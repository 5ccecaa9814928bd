/**
 * Playwright (playwright-core) helpers for the end-to-end tests: Debian's Chromium with the flags
 * this machine needs, and one browser context per simulated analyst.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { inject } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/chromium.mjs';

export const baseURL = (): string => inject('baseURL');

export async function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('No Chromium: set CHROMIUM_PATH or `apt-get install -y chromium`');
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}

export interface Analyst {
  name: string;
  context: BrowserContext;
  page: Page;
}

/** A fresh browser context (its own IndexedDB) whose local user is already named. */
export async function newAnalyst(browser: Browser, name: string): Promise<Analyst> {
  const context = await browser.newContext({ baseURL: baseURL(), viewport: { width: 1200, height: 900 } });
  await context.addInitScript((user: string) => {
    if (!localStorage.getItem('sentpilot.user')) localStorage.setItem('sentpilot.user', JSON.stringify({ name: user }));
  }, name);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[${name}] page error:`, e.message));
  return { name, context, page };
}

/** Wait until the service worker controls the page, so the app shell loads offline. */
export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise<void>((resolve) => navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true }));
    }
  });
}

/** Create an incident through the UI; resolves to its id (from the URL). */
export async function createIncidentViaUi(page: Page, title: string, severity = 'S2'): Promise<string> {
  await page.goto('/');
  await page.getByTestId('new-incident').click();
  await page.getByTestId('field-title').fill(title);
  await page.getByTestId('field-severity').selectOption(severity);
  await page.getByTestId('create-incident').click();
  await page.waitForURL(/\/incidents\/[0-9a-f-]{36}$/);
  const id = new URL(page.url()).pathname.split('/').pop();
  if (!id) throw new Error('no incident id in the URL');
  await page.getByTestId('timeline').waitFor();
  return id;
}

export async function addNote(page: Page, text: string): Promise<void> {
  await page.getByTestId('note-input').fill(text);
  await page.getByTestId('add-note').click();
  await page.getByTestId('timeline-entry').filter({ hasText: text }).first().waitFor();
}

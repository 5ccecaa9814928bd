/**
 * Playwright (playwright-core) helpers for the end-to-end tests: Debian's Chromium with the flags
 * this machine needs, one browser context per simulated person, logged in through the API (the
 * session cookie lands in the context), and users of any role created through the admin API.
 */
import { chromium, request, type APIRequestContext, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { inject } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/chromium.mjs';
import type { Role } from '../../shared/permissions.ts';

export const baseURL = (): string => inject('baseURL');

export async function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('No Chromium: set CHROMIUM_PATH or `apt-get install -y chromium`');
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}

export interface Credentials {
  email: string;
  password: string;
}

export interface Analyst extends Credentials {
  name: string;
  id: string;
  context: BrowserContext;
  page: Page;
}

/** POST /api/v1/auth/login from `req` (a context's request: the cookie lands in that context). */
export async function loginThroughApi(req: APIRequestContext, who: Credentials): Promise<void> {
  const res = await req.post('/api/v1/auth/login', { data: { email: who.email, password: who.password } });
  if (!res.ok()) throw new Error(`login of ${who.email} failed: ${res.status()} ${await res.text()}`);
}

/** An API client logged in as the bootstrap admin (for setting up users). */
export async function adminRequest(): Promise<APIRequestContext> {
  const req = await request.newContext({ baseURL: baseURL() });
  await loginThroughApi(req, inject('admin'));
  return req;
}

let userCounter = 0;

/** Create a user with a password through the admin API. */
export async function createUser(admin: APIRequestContext, name: string, role: Role): Promise<Credentials & { id: string }> {
  const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.')}.${Date.now()}.${userCounter++}@example.test`;
  const password = `correct horse ${name} battery`;
  const res = await admin.post('/api/v1/users', { data: { email, display_name: name, role, password } });
  if (!res.ok()) throw new Error(`creating ${name} (${role}) failed: ${res.status()} ${await res.text()}`);
  const body = (await res.json()) as { user: { id: string } };
  return { email, password, id: body.user.id };
}

/** A fresh browser context (its own IndexedDB) for a new user of `role`, logged in. */
export async function newAnalyst(browser: Browser, admin: APIRequestContext, name: string, role: Role = 'analyst'): Promise<Analyst> {
  const user = await createUser(admin, name, role);
  const context = await browser.newContext({ baseURL: baseURL(), viewport: { width: 1200, height: 900 } });
  await loginThroughApi(context.request, user);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[${name}] page error:`, e.message));
  return { name, ...user, context, page };
}

/** Log in through the UI's form (the /login page or the "log in again" dialog on screen). */
export async function loginThroughUi(page: Page, who: Credentials): Promise<void> {
  const form = page.getByTestId('login-form');
  await form.getByTestId('login-email').fill(who.email);
  await form.getByTestId('login-password').fill(who.password);
  await form.getByTestId('login-submit').click();
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

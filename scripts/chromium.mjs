// Finds the Chromium the end-to-end tests and benchmarks drive: CHROMIUM_PATH, else Debian's
// /usr/bin/chromium, else a browser Playwright installed itself. Never downloads one.
import { existsSync } from 'node:fs';

export function findChromium() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return null;
}

export async function findChromiumOrPlaywright() {
  const system = findChromium();
  if (system) return system;
  try {
    const { chromium } = await import('playwright-core');
    const own = chromium.executablePath();
    if (own && existsSync(own)) return own;
  } catch {
    // playwright-core has no browser of its own here
  }
  return null;
}

export const CHROMIUM_HELP =
  'No Chromium found for the end-to-end tests. Set CHROMIUM_PATH to a Chromium binary, or install ' +
  "Debian's package: `apt-get install -y chromium` (gives /usr/bin/chromium).";

/** Flags Chromium needs on these machines (no sandbox as root, no background network). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

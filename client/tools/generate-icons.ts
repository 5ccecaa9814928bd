/**
 * Renders the PWA icons (public/icons/*.png) from public/favicon.svg with the system Chromium,
 * so the PNGs stay in step with the SVG. Run after changing the logo:
 *   npx tsx client/tools/generate-icons.ts
 * The icons are committed; the build does not run this.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const root = new URL('../../', import.meta.url).pathname;
const svg = await readFile(join(root, 'public/favicon.svg'), 'utf8');
const dataUrl = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;

/** `maskable`: full-bleed background with the logo inside the 80 % safe zone. */
const targets = [
  { file: 'icon-192.png', size: 192, maskable: false },
  { file: 'icon-512.png', size: 512, maskable: false },
  { file: 'icon-maskable-512.png', size: 512, maskable: true },
  { file: 'apple-touch-icon.png', size: 180, maskable: true },
] as const;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  await mkdir(join(root, 'public/icons'), { recursive: true });
  for (const t of targets) {
    const page = await browser.newPage({ viewport: { width: t.size, height: t.size }, deviceScaleFactor: 1 });
    const inner = t.maskable ? Math.round(t.size * 0.8) : t.size;
    await page.setContent(
      `<html><body style="margin:0;width:${t.size}px;height:${t.size}px;display:grid;place-items:center;background:${t.maskable ? '#0f2a44' : 'transparent'}">` +
        `<img src="${dataUrl}" width="${inner}" height="${inner}" alt=""></body></html>`,
    );
    await page.waitForFunction(() => document.images[0]?.complete === true);
    const png = await page.screenshot({ omitBackground: !t.maskable, type: 'png' });
    await writeFile(join(root, 'public/icons', t.file), png);
    await page.close();
    process.stdout.write(`wrote public/icons/${t.file} (${t.size}×${t.size})\n`);
  }
} finally {
  await browser.close();
}

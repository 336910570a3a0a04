// Screenshots of pages at desktop and phone width, light and dark, in headless Chromium:
//   node bench/browser/shots.mjs BASE_URL OUT_DIR [PATH...]      (default paths: / and /events/)
// Also reports any page wider than its viewport.
import puppeteer from 'puppeteer-core';
import { mkdirSync } from 'node:fs';

const [base, out, ...paths] = process.argv.slice(2);
if (!base || !out) { console.error('usage: shots.mjs BASE_URL OUT_DIR [PATH...]'); process.exit(2); }
mkdirSync(out, { recursive: true });
const browser = await puppeteer.launch({
  executablePath: process.env.BENCH_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  for (const path of paths.length ? paths : ['/', '/events/']) {
    for (const [w, h] of [[1440, 900], [390, 844]]) {
      for (const theme of ['light', 'dark']) {
        const page = await browser.newPage();
        await page.setViewport({ width: w, height: h, deviceScaleFactor: 1 });
        await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: theme }]);
        await page.goto(new URL(path.replace(/^\//, ''), base).href, { waitUntil: 'networkidle0' });
        await new Promise(r => setTimeout(r, 500));
        const wide = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
        const name = (path.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '') || 'home') + `-${w}-${theme}.png`;
        await page.screenshot({ path: `${out}/${name}` });
        console.log(`${name}${wide > 0 ? `  WIDER than the viewport by ${wide}px` : ''}`);
        await page.close();
      }
    }
  }
} finally {
  await browser.close();
}

// Every page at 360 px: each control has an accessible name and the keyboard reaches the navigation; How it works
// shows ε per shard as meters. Then offline: once the app has been opened, a server that is down leaves it working —
// the page opens again from the service worker's copy, For you comes from the model kept in IndexedDB, and the app
// says it is offline.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, ROOT, startLauncher, type Started } from './launch';

const ARTIFACTS = join(ROOT, 'test-artifacts', 'e2e');
const dir = mkdtempSync(join(tmpdir(), 'confidant-offline-'));
let server: Started;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Central DP on, so How it works shows the privacy budget as meters (no rounds run: ε is 0 in every shard).
  server = await startLauncher(['--port', '0', '--data-dir', join(dir, 'data'), '--demo-devices', '0', '--round-interval', '0', '--shards', '4', '--dp', 'central', '--epsilon-budget', '8', '--log-level', 'info']);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the app, page by page', () => {
  it('every control has an accessible name, nothing is wider than a 360 px screen, and How it works shows ε per shard as a meter', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 780 } });
    await page.goto(`${server.url}/shop`);
    for (const name of ['Shop', 'For you', 'Permissions', 'My data', 'How it works']) {
      await page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
      await page.getByRole('heading', { level: 1, name }).waitFor();
      if (name === 'How it works') await page.locator('meter').first().waitFor();
      if (name === 'Permissions') await page.getByRole('switch', { name: 'Sci-Fi', exact: true }).waitFor();
      const unnamed = await page.evaluate(() =>
        [...document.querySelectorAll('button, input, select, a[href], meter')]
          .filter((el) => {
            const labelled = (el as HTMLInputElement).labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.textContent ?? '').trim();
            return !labelled;
          })
          .map((el) => el.outerHTML.slice(0, 80)),
      );
      expect(unnamed, name).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), name).toBeLessThanOrEqual(360);
    }
    const meters = page.locator('meter');
    expect(await meters.count()).toBe(4);
    expect(await page.getByText('Shard 0: ε = 0.000 of 8 spent (0 rounds)').count()).toBe(1);
    // Keyboard: Tab reaches the navigation's links and Enter follows one.
    await page.keyboard.press('Tab');
    for (let n = 0; n < 8 && !(await page.evaluate(() => document.activeElement?.textContent === 'Shop')); n++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Shop' }).waitFor();
    await page.close();
  });
});

describe('a server that goes down', () => {
  it('leaves the app working offline from its last model, saying so', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 780 } });
    await page.goto(`${server.url}/for-you`);
    await page.locator('ol[data-feed="popular"] li').first().waitFor();
    // The service worker has the app's files once it controls the page.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
    });
    const online = await page.locator('ol[data-feed="popular"] li a').allInnerTexts();
    await server.stop();
    await page.reload();
    await page.getByText('The server cannot be reached: working offline from model version 1.').waitFor();
    await page.locator('ol[data-feed="popular"] li').first().waitFor();
    expect(await page.locator('ol[data-feed="popular"] li a').allInnerTexts()).toEqual(online);
    await page.screenshot({ path: join(ARTIFACTS, 'offline.png'), fullPage: true });
    // The shop still browses the kept catalogue.
    await page.getByRole('navigation').getByRole('link', { name: 'Shop', exact: true }).click();
    await page.getByRole('link', { name: 'Toy Story (1995)', exact: true }).waitFor();
  });
});

// Offline: once the app has been opened, a server that is down leaves it working — the page opens again from the
// service worker's copy, For you comes from the model kept in IndexedDB, and the app says it is offline.
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
  server = await startLauncher(['--port', '0', '--data-dir', join(dir, 'data'), '--demo-devices', '0', '--round-interval', '0', '--log-level', 'info']);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
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

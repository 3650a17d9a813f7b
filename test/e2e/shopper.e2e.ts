// One shopper, end to end, in Debian's Chromium against `npm start` with a small demo fleet: popular items first;
// ratings change the recommendations and every "Why?" adds up; Sci-Fi switched off leaves no trace of it; training
// on makes the browser a survivor of a secure round beside Node devices; the export is the JSON of everything; the
// deletion ends with a verified receipt and an IndexedDB empty but for it. Steps wait for events, never for time;
// screenshots and the measured numbers (benchmarks, not assertions) go to test-artifacts/e2e/.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, ROOT, startLauncher, type Started } from './launch';

const ARTIFACTS = join(ROOT, 'test-artifacts', 'e2e');
/** Node devices beside the browser: with one shard, every round clears a device-side cohort floor of 10. */
const FLEET = 12;
const SCI_FI = ['Alien (1979)', 'Blade Runner (1982)', 'Terminator, The (1984)', 'Matrix, The (1999)'];
const OTHERS = ['Forrest Gump (1994)', 'Pulp Fiction (1994)', 'Toy Story (1995)'];

let server: Started;
let browser: Browser;
let page: Page;
const dir = mkdtempSync(join(tmpdir(), 'confidant-e2e-'));
const measured: Record<string, unknown> = {};
const firstLoad: { url: string; bytes: number; gzip: number }[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function open(name: 'Shop' | 'For you' | 'Permissions' | 'My data' | 'How it works'): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

async function rate(title: string, stars: string): Promise<void> {
  await open('Shop');
  await page.getByLabel('Search').fill(title.replace(/[(),]/g, ' ').replace(/\bThe\b/, ''));
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByRole('link', { name: title, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  await page.getByLabel('Your rating').selectOption({ label: `${stars} ★` });
  await page.getByRole('button', { name: 'Rate', exact: true }).click();
  await page.getByText(`You rated it ${stars} ★`).waitFor();
}

/** Every personalised item: its title, score, reason text and the unrounded lines of its "Why?", read from one render. */
async function personalItems(): Promise<{ title: string; categories: string; score: number; reason: string; shares: { title: string; value: number }[]; bias: number; total: number }[]> {
  const feed = page.locator('ol[data-feed="personal"]');
  await feed.locator('li.rec').first().waitFor();
  // Open every "Why?" (an open one stays open when a new model version re-renders the list).
  for (let closed = feed.getByRole('button', { name: 'Why?', exact: true }); (await closed.count()) > 0; ) await closed.first().click();
  return feed.evaluate((ol) =>
    [...ol.querySelectorAll('li.rec')].map((li) => {
      const table = li.querySelector('table.breakdown')!;
      const value = (el: Element | null) => Number((el as HTMLElement).dataset.value);
      return {
        title: li.querySelector('.rec-head a')!.textContent!,
        categories: li.querySelector('.rec-head .cats')!.textContent!,
        score: Number((li as HTMLElement).dataset.score),
        reason: [...li.querySelectorAll('.reason')].map((p) => p.textContent).join(' '),
        shares: [...table.querySelectorAll('tr.share')].map((tr) => ({ title: tr.querySelector('th')!.textContent!, value: value(tr) })),
        bias: value(table.querySelector('tr.bias')),
        total: value(table.querySelector('tr.total')),
      };
    }),
  );
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startLauncher(['--port', '0', '--data-dir', join(dir, 'data'), '--round-interval', '3', '--shards', '1', '--demo-devices', String(FLEET), '--log-level', 'info']);
  await server.line(/^fleet: \d+ devices connected/);
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  page.on('response', async (r) => {
    try {
      const body = await r.body();
      firstLoad.push({ url: new URL(r.url()).pathname, bytes: body.length, gzip: gzipSync(body, { level: 9 }).length });
    } catch {
      // a redirect or an aborted request has no body
    }
  });
  // Long main-thread tasks, from the start (PerformanceObserver "longtask": tasks over 50 ms).
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__longTasks.push({ start: e.startTime, duration: e.duration }))).observe({ type: 'longtask', buffered: true });
  });
});

afterAll(async () => {
  writeFileSync(join(ARTIFACTS, 'measurements.json'), JSON.stringify(measured, null, 2));
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a shopper', () => {
  it('new: sees popular items, labelled as not personal', async () => {
    await page.goto(`${server.url}/for-you`);
    const popular = page.locator('ol[data-feed="popular"] li');
    await popular.first().waitFor();
    expect(await popular.count()).toBe(10);
    await expect.poll(() => page.getByText('Popular items, not personal').count()).toBe(1);
    measured.firstLoad = { files: [...firstLoad], bytes: firstLoad.reduce((a, f) => a + f.bytes, 0), gzip: firstLoad.reduce((a, f) => a + f.gzip, 0) };
    await shot('1-popular');
  });

  it('rates science-fiction films (and a few others): the recommendations change, and every Why? adds up on unrounded values', async () => {
    const popular = await page.locator('ol[data-feed="popular"] li a').allInnerTexts();
    for (const title of SCI_FI) await rate(title, '5');
    for (const title of OTHERS) await rate(title, '4');
    await open('For you');
    const items = await personalItems();
    expect(items).toHaveLength(10);
    expect(items.map((i) => i.title)).not.toEqual(popular.slice(0, 10));
    for (const i of items) {
      const sum = i.bias + i.shares.reduce((a, s) => a + s.value, 0);
      expect(Math.abs(sum - i.score)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(i.score)));
      expect(i.total).toBe(i.score);
    }
    const timings = await page.evaluate(() => performance.getEntriesByName('confidant:recommend').map((e) => e.duration));
    measured.recommendMs = timings;
    await shot('2-personal-why');
  });

  it('switches Sci-Fi off: still at least 5 personalised items, none with a reason or share that names a sci-fi film', async () => {
    await open('Permissions');
    await page.getByRole('switch', { name: 'Sci-Fi', exact: true }).uncheck();
    await page.getByText('Saved. Applies to your next recommendation.').waitFor();
    await open('For you');
    const items = await personalItems();
    expect(items.length).toBeGreaterThanOrEqual(5);
    for (const i of items) {
      expect(i.categories).not.toContain('Sci-Fi');
      for (const film of SCI_FI) {
        expect(i.reason).not.toContain(film);
        expect(i.shares.map((s) => s.title).join('|')).not.toContain(film);
      }
    }
    await shot('3-no-sci-fi');
  });

  it('turns training on: the browser device is among the survivors of a secure round with Node devices', async () => {
    await open('Permissions');
    const before = await page.evaluate(() => (window as unknown as { __longTasks: unknown[] }).__longTasks.length);
    await page.getByRole('switch', { name: 'Contribute to training' }).check();
    await page.locator('[data-recovery-code]').waitFor();
    await shot('4-recovery-code');
    await open('My data');
    const joined = page.locator('li[data-kind="round"][data-outcome="completed"][data-survivor="true"]').first();
    await joined.waitFor({ timeout: 4 * 60_000 });
    const cohort = Number(await joined.getAttribute('data-cohort'));
    expect(cohort).toBeGreaterThan(1);
    // The server's own record of rounds: one with this many devices, all or most of them Node devices of the fleet.
    const rounds = (await (await fetch(`${server.url}/v1/rounds?limit=100`)).json()) as { rounds: { cohortSize: number; survivors: number | null; status: string }[] };
    expect(rounds.rounds.some((r) => r.status === 'completed' && r.cohortSize === cohort && (r.survivors ?? 0) > 1)).toBe(true);
    const tasks = await page.evaluate((from) => (window as unknown as { __longTasks: { duration: number }[] }).__longTasks.slice(from), before);
    measured.longTasksWhileTraining = { count: tasks.length, maxMs: Math.max(0, ...tasks.map((t) => t.duration)) };
    measured.withWorker = { bytes: firstLoad.reduce((a, f) => a + f.bytes, 0), gzip: firstLoad.reduce((a, f) => a + f.gzip, 0), files: firstLoad.filter((f) => /worker|wasm/.test(f.url)) };
    await shot('5-round-joined');
  });

  it('reads How it works: the rounds that made the model, the demo devices, the deletions honoured', async () => {
    await open('How it works');
    await page.locator('table.versions tr[data-cause="round"]').first().waitFor();
    expect(Number(await page.locator('.card').getAttribute('data-model-version'))).toBeGreaterThan(1);
    expect(Number(await page.locator('[data-rounds-completed]').getAttribute('data-rounds-completed'))).toBeGreaterThanOrEqual(1);
    expect(await page.locator('[data-demo-devices]').getAttribute('data-demo-devices')).toBe(String(FLEET));
    expect(await page.locator('svg.chart g[data-version]').count()).toBeGreaterThanOrEqual(1);
    await page.locator('[data-deletions-honoured]').waitFor();
    await shot('5b-how-it-works');
    await open('My data');
  });

  it('switches the app to Simplified Chinese and back: every page label comes from the catalogue', async () => {
    await page.getByLabel('Language').selectOption('zh-CN');
    await page.getByRole('navigation').getByRole('link', { name: '我的数据' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await shot('5c-zh-CN');
    await page.getByLabel('语言').selectOption('en');
    await page.getByRole('heading', { level: 1, name: 'My data' }).waitFor();
  });

  it('exports their data as one JSON file', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export my data' }).click()]);
    const doc = JSON.parse(readFileSync((await download.path())!, 'utf8')) as { format: string; events: { type: string }[]; sent: { kind: string }[]; consentLog: unknown[]; identity: { publicKey: string } | null };
    expect(doc.format).toBe('confidant-device-export');
    expect(doc.events.filter((e) => e.type === 'rating')).toHaveLength(SCI_FI.length + OTHERS.length);
    expect(doc.sent.some((s) => s.kind === 'round')).toBe(true);
    expect(doc.consentLog.length).toBeGreaterThanOrEqual(2);
    expect(doc.identity?.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(doc)).not.toContain('privateKey');
  });

  it('deletes their data: a verified receipt, and IndexedDB empty but for it', async () => {
    await page.getByRole('button', { name: 'Delete my data', exact: true }).click();
    const status = page.locator('p.deletion');
    await page.locator('p.deletion[data-phase="deleted"], p.deletion[data-phase="not-verified"], p.deletion[data-phase="failed"]').waitFor({ timeout: 4 * 60_000 });
    await shot('6-deleted');
    expect(await status.getAttribute('data-phase'), await status.innerText()).toBe('deleted');
    await expect.poll(() => page.locator('ul.receipts li[data-verified="true"]').count()).toBe(1);
    const counts = await page.evaluate(
      () =>
        new Promise<Record<string, number>>((resolve, reject) => {
          const r = indexedDB.open('confidant-device');
          r.onerror = () => reject(r.error);
          r.onsuccess = () => {
            const db = r.result;
            const names = [...db.objectStoreNames];
            const tx = db.transaction(names);
            const out: Record<string, number> = {};
            names.forEach((n) => {
              const c = tx.objectStore(n).count();
              c.onsuccess = () => (out[n] = c.result);
            });
            tx.oncomplete = () => resolve(out);
          };
        }),
    );
    expect(counts).toEqual({ consent: 0, events: 0, kv: 0, receipts: 1, sent: 0 });
  });
});

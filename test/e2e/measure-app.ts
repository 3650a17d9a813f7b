// The app's numbers in headless Chromium (bench/RESULTS.md records them):
//   npx tsx test/e2e/measure-app.ts [--shards S] [--items N] [--repeats R]
// First load (HTML, JS, CSS, catalogue, model: raw and gzip -9 bytes), the trainer's extra files, and the time to
// compute For you (recommendations with their exact explanations and the variety re-ranking) over a catalogue of N
// items (the vendored MovieLens, padded with synthetic titles) for a 30-rating history. No demo fleet, no rounds.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { launchChromium, ROOT, startLauncher } from './launch';

const { values } = parseArgs({ options: { shards: { type: 'string', default: '4' }, items: { type: 'string', default: '10000' }, repeats: { type: 'string', default: '30' } } });
const shards = Number(values.shards);
const items = Number(values.items);
const repeats = Number(values.repeats);
const dir = mkdtempSync(join(tmpdir(), 'confidant-measure-'));

// The vendored catalogue, padded (or cut) to `items` entries.
const lines = readFileSync(join(ROOT, 'data', 'ml-latest-small', 'movies.csv'), 'utf8').trim().split('\n');
const genres = ['Action', 'Comedy', 'Drama', 'Sci-Fi', 'Romance', 'Thriller', 'Children', 'Horror'];
const body = lines.slice(1, items + 1);
for (let n = body.length; n < items; n++) body.push(`${1_000_000 + n},Synthetic film ${n} (2020),${genres[n % 8]}|${genres[(n * 3 + 1) % 8]}`);
const catalogue = join(dir, 'movies.csv');
writeFileSync(catalogue, [lines[0], ...body].join('\n') + '\n');

const server = await startLauncher(['--port', '0', '--data-dir', join(dir, 'data'), '--catalogue', catalogue, '--demo-devices', '0', '--round-interval', '0', '--shards', String(shards), '--rate-limit', '0', '--log-level', 'info']);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 360, height: 780 } });
  const files: { path: string; bytes: number; gzip: number }[] = [];
  page.on('response', async (r) => {
    try {
      const b = await r.body();
      files.push({ path: new URL(r.url()).pathname, bytes: b.length, gzip: gzipSync(b, { level: 9 }).length });
    } catch {
      // no body
    }
  });
  await page.goto(`${server.url}/for-you`);
  await page.locator('ol[data-feed="popular"] li').first().waitFor();
  const sum = (f: typeof files, k: 'bytes' | 'gzip') => f.reduce((a, x) => a + x[k], 0);
  const group = (p: string) => (p.startsWith('/v1/catalogue') ? 'catalogue (JSON pages)' : p === '/v1/model' ? 'model' : p.startsWith('/assets/') && p.endsWith('.js') ? 'JS' : p.startsWith('/assets/') && p.endsWith('.css') ? 'CSS' : p.startsWith('/v1/') ? 'other API' : 'HTML');
  const byGroup: Record<string, { bytes: number; gzip: number }> = {};
  for (const f of files) {
    const g = (byGroup[group(f.path)] ??= { bytes: 0, gzip: 0 });
    g.bytes += f.bytes;
    g.gzip += f.gzip;
  }
  // A 30-rating history (every 97th item), written the way the app keeps events, then For you computed `repeats` times.
  const catalogueItems = await page.evaluate(async () => {
    const all: { id: number; categories: string[] }[] = [];
    for (let offset = 0; ; offset += 200) {
      const page = (await (await fetch(`/v1/catalogue?offset=${offset}&limit=200`)).json()) as { items: { id: number; categories: string[] }[]; total: number };
      all.push(...page.items);
      if (offset + 200 >= page.total) return all;
    }
  });
  const history = catalogueItems.filter((_, n) => n % 97 === 0).slice(0, 30);
  await page.evaluate(
    (events) =>
      new Promise<void>((resolve, reject) => {
        const r = indexedDB.open('confidant-device');
        r.onsuccess = () => {
          const tx = r.result.transaction('events', 'readwrite');
          for (const e of events) tx.objectStore('events').add(e);
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        };
      }),
    history.map((h, n) => ({ type: 'rating', item: h.id, categories: h.categories, stars: 4 + (n % 2), time: Date.now() - n })),
  );
  for (let n = 0; n < repeats; n++) {
    await page.getByRole('navigation').getByRole('link', { name: 'Shop', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Shop' }).waitFor();
    await page.getByRole('navigation').getByRole('link', { name: 'For you', exact: true }).click();
    await page.locator('ol[data-feed="personal"] li.rec').first().waitFor();
  }
  const runs = await page.evaluate(() => performance.getEntriesByName('confidant:recommend').map((e) => e.duration));
  const ms = [...runs].sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!;
  // What turning training on adds: the worker's script and the wasm file it loads (from the build).
  const assets = join(ROOT, 'dist', 'app', 'assets');
  const trainer = readdirSync(assets).filter((f) => /^trainer\.worker-.*\.js$|tfjs-backend-wasm-simd-.*\.wasm$/.test(f)).map((f) => {
    const b = readFileSync(join(assets, f));
    return { file: f, bytes: b.length, gzip: gzipSync(b, { level: 9 }).length };
  });
  const results = {
    shards,
    items,
    firstLoad: { bytes: sum(files, 'bytes'), gzip: sum(files, 'gzip'), byGroup },
    trainerAdds: trainer,
    // The first personalised run (a cold JIT) apart: what a person meets on their first visit to For you.
    recommend: { runs: ms.length, historyItems: history.length, medianMs: q(0.5), p90Ms: q(0.9), maxMs: ms[ms.length - 1], firstPersonalMs: runs[runs.length - repeats] },
  };
  const out = join(ROOT, 'out', 'app-bench');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `results-S${shards}-N${items}.json`), JSON.stringify(results, null, 2));
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} finally {
  await browser.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

// `bench serve-load`: the real server (`npm start`, a child process on the vendored catalogue, rate limit off,
// no rounds) driven by autocannon from this process on loopback. Each route is driven at a fixed rate (the
// target: 500 requests per second, latency corrected for coordinated omission), then as fast as it will go.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Request as AutocannonRequest, type Result } from 'autocannon';
import type { InteractionData } from '../../shared/data/interactions';
import { MAX_HISTORY, recommendationResponseSchema, similarResponseSchema } from '../../shared/protocol/http';
import { createRng } from '../../shared/math/random';
import { writeResults, writeFileAtomic } from '../results';
import { renderReport } from '../report/html';
import { DEFAULT_SHARDS } from '../../server/training/defaults';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Options of `bench serve-load`. */
export interface ServeLoadOptions {
  /** Ratings whose users' histories make the recommendation requests (items named by their catalogue ids). */
  data: InteractionData;
  seconds: number;
  /** The fixed request rate each route is driven at. */
  rate: number;
  connections: number;
  seed: number;
  out: string;
}

/** One route's figures. */
export interface ServeLoadRow {
  route: string;
  /** Mode of the row: at the target rate, or as fast as the server answers. */
  mode: 'target-rate' | 'max';
  targetRps: number | null;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers, timeouts and connection errors. */
  errors: number;
  requests: number;
}

/** Start `npm start`'s entry as a child on a free port; resolves with its URL once it listens. */
async function startServer(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', '0', '--data-dir', dataDir, '--round-interval', '0', '--rate-limit', '0'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        // Keep reading (and dropping) its log so the pipe never fills and stalls the server.
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening: ${stderr.trim()}`)));
  });
  return { url, child };
}

function run(o: autocannon.Options): Promise<Result> {
  return new Promise((resolve, reject) => {
    autocannon(o, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** Every user's history as the API names it: catalogue ids with values, at most MAX_HISTORY entries. */
function histories(data: InteractionData): { item: number; value: number }[][] {
  const byUser: { item: number; value: number }[][] = Array.from({ length: data.users }, () => []);
  for (let n = 0; n < data.user.length; n++) byUser[data.user[n]!]!.push({ item: Number(data.itemIds[data.item[n]!]), value: data.value[n]! });
  return byUser.filter((h) => h.length > 0).map((h) => h.slice(0, MAX_HISTORY));
}

/** Drive the two routes and write results.json and report.html. */
export async function runServeLoad(o: ServeLoadOptions): Promise<{ rows: ServeLoadRow[]; historyMedian: number }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'confidant-serve-load-'));
  const { url, child } = await startServer(dataDir);
  const rng = createRng(o.seed);
  const users = histories(o.data);
  const itemIds = [...new Set(o.data.itemIds.map(Number))];
  const sizes = users.map((h) => h.length).sort((a, b) => a - b);
  const routes: { route: string; requests: AutocannonRequest[]; check: (body: unknown) => void }[] = [
    {
      route: 'GET /v1/items/:id/similar',
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/v1/items/${itemIds[rng.int(itemIds.length)]}/similar?k=10` }) }],
      check: (b) => similarResponseSchema.parse(b),
    },
    {
      route: 'POST /v1/recommendations',
      requests: [{ method: 'POST', path: '/v1/recommendations', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: JSON.stringify({ history: users[rng.int(users.length)], k: 10 }) }) }],
      check: (b) => recommendationResponseSchema.parse(b),
    },
  ];
  const rows: ServeLoadRow[] = [];
  try {
    // One request of each, checked against its schema: a benchmark of error pages would measure nothing.
    routes[0]!.check(await (await fetch(`${url}/v1/items/${itemIds[0]}/similar?k=10`)).json());
    routes[1]!.check(await (await fetch(`${url}/v1/recommendations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ history: users[0], k: 10 }) })).json());
    for (const r of routes) {
      for (const mode of ['target-rate', 'max'] as const) {
        process.stderr.write(`${r.route}: ${mode === 'max' ? 'as fast as it answers' : `${o.rate} requests/s`} for ${o.seconds} s\n`);
        const result = await run({ url, connections: o.connections, duration: o.seconds, requests: r.requests, ...(mode === 'target-rate' && { overallRate: o.rate }) });
        rows.push({
          route: r.route,
          mode,
          targetRps: mode === 'target-rate' ? o.rate : null,
          rps: result.requests.average,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          errors: result.errors + result.timeouts + result.non2xx,
          requests: result.requests.total,
        });
      }
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dataDir, { recursive: true, force: true });
  }
  const historyMedian = sizes[Math.floor(sizes.length / 2)]!;
  const results = {
    experiment: 'serve-load',
    dataset: { name: o.data.name, users: o.data.users, items: o.data.items, interactions: o.data.user.length },
    config: { seconds: o.seconds, rate: o.rate, connections: o.connections, seed: o.seed, rateLimit: 'off', rounds: 'none', shards: DEFAULT_SHARDS, model: 'version 1 of a fresh data directory (cost does not depend on the values)', historyMedian, historyMax: sizes.at(-1) },
    rows,
  };
  await writeResults(o.out, results);
  await writeFileAtomic(
    path.join(o.out, 'report.html'),
    renderReport({
      title: 'Serving load',
      facts: [
        ['server', '`npm start` as a child process: vendored catalogue, one shard, rate limit off, no rounds'],
        ['load', `autocannon on loopback, ${o.connections} connections, ${o.seconds} s per run`],
        ['recommendation histories', `the users of ${o.data.name} (median ${historyMedian} items, at most ${MAX_HISTORY})`],
      ],
      tables: [{ caption: 'Latency and throughput per route', columns: ['route', 'mode', 'requests/s', 'p50 ms', 'p99 ms', 'errors'], rows: rows.map((r) => [r.route, r.mode === 'max' ? 'as fast as it answers' : `${r.targetRps}/s offered`, r.rps, r.p50Ms, r.p99Ms, r.errors]) }],
      figures: [],
    }),
  );
  return { rows, historyMedian };
}

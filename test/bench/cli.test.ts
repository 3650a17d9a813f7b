// The benchmark CLI end to end (child processes): results files on a small dataset, and clear errors for bad input.
import { describe, expect, it, beforeAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRng } from '../../shared/math/random';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

async function bench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, [path.join(root, 'bench', 'cli.ts'), ...args], { cwd: root, env: { ...process.env, CONFIDANT_TF_BACKEND: 'cpu' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
let csv: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'confidant-cli-'));
  csv = path.join(dir, 'small.csv');
  // 60 users with two taste groups over 40 items, so the model has something to learn.
  const rng = createRng(5);
  const lines = ['user,item,value,timestamp'];
  for (let u = 0; u < 60; u++) {
    const group = u % 2;
    for (let t = 0; t < 12; t++) {
      const item = group * 20 + rng.int(20);
      lines.push(`u${u},i${item},${1 + rng.int(5)},${1000 + t}`);
    }
  }
  await writeFile(csv, `${lines.join('\n')}\n`);
});

const METRIC_KEYS = ['HR@10', 'NDCG@10', 'Recall@20', 'NDCG@20', 'RMSE', 'coverage@10', 'diversity@10', 'novelty@10'];

describe('bench centralized', () => {
  it.each([
    ['loo', ['HR@10', 'NDCG@10']],
    ['full', ['Recall@20', 'NDCG@20']],
    ['rating', ['RMSE']],
  ])('writes results.json and report.html for protocol %s', async (protocol, expected) => {
    const out = path.join(dir, `out-${protocol}`);
    const r = await bench(['centralized', '--data', csv, '--protocol', protocol, '--epochs', '3', '--dim', '4', '--splits', '2', '--out', out]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const results = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8'));
    expect(results).toMatchObject({ experiment: 'centralized', protocol, dataset: { name: 'small', users: 60, items: 40, interactions: 720 } });
    for (const key of ['config', 'backend', 'timings', 'metrics', 'baselines']) expect(results).toHaveProperty(key);
    for (const key of expected) expect(Number.isFinite(results.metrics[key])).toBe(true);
    for (const key of Object.keys(results.metrics)) expect(METRIC_KEYS).toContain(key);
    const baseline = Object.values(results.baselines)[0] as Record<string, number>;
    for (const key of expected) expect(Number.isFinite(baseline[key])).toBe(true);
    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(r.stdout).toContain(expected[0]!);
  });

  it('supports k-fold and MovieLens 100K predefined rating splits', async () => {
    const out = path.join(dir, 'kfold');
    const r = await bench(['centralized', '--data', csv, '--protocol', 'rating', '--folds', '3', '--epochs', '2', '--dim', '3', '--out', out]);
    expect(r.code).toBe(0);
    const results = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8'));
    expect(results.config.splits).toBe('3-fold cross-validation');
    expect(results.config.rmsePerSplit).toHaveLength(3);
    // A tiny MovieLens 100K folder with its own u1.base / u1.test.
    const ml = path.join(dir, 'ml-100k');
    await mkdir(ml, { recursive: true });
    const rng = createRng(8);
    const rows = (n: number) => Array.from({ length: n }, () => `${1 + rng.int(20)}\t${1 + rng.int(15)}\t${1 + rng.int(5)}\t${880000000 + rng.int(1000)}`).join('\n');
    await writeFile(path.join(ml, 'u1.base'), `${rows(200)}\n`);
    await writeFile(path.join(ml, 'u1.test'), `${rows(40)}\n`);
    const out2 = path.join(dir, 'mlfold');
    const r2 = await bench(['centralized', '--data', ml, '--protocol', 'rating', '--ml-fold', '1', '--epochs', '2', '--dim', '3', '--out', out2]);
    expect(r2.stderr).not.toMatch(/error/i);
    const results2 = JSON.parse(await readFile(path.join(out2, 'results.json'), 'utf8'));
    expect(results2.config.splits).toBe('MovieLens u1.base/u1.test');
    expect(Number.isFinite(results2.metrics.RMSE)).toBe(true);
  });

  it('gives the same numbers for the same seed', async () => {
    const a = path.join(dir, 'seed-a');
    const b = path.join(dir, 'seed-b');
    for (const out of [a, b]) await bench(['centralized', '--data', csv, '--epochs', '2', '--dim', '4', '--seed', '9', '--out', out]);
    const ra = JSON.parse(await readFile(path.join(a, 'results.json'), 'utf8'));
    const rb = JSON.parse(await readFile(path.join(b, 'results.json'), 'utf8'));
    expect(ra.metrics).toEqual(rb.metrics);
    expect(ra.curve).toEqual(rb.curve);
  });
});

describe('bench epsilon', () => {
  it('reproduces a published accountant case and calibrates σ without overshooting', async () => {
    // Opacus accountants_test: q = 0.04, σ = 1.5, 2,250 steps, δ = 1e-5 → ε = 7.32911117143.
    const r = await bench(['epsilon', '--q', '0.04', '--sigma', '1.5', '--steps', '2250', '--delta', '1e-5', '--json']);
    const out = JSON.parse(r.stdout);
    expect(Math.abs(out.epsilon - 7.32911117143) / 7.32911117143).toBeLessThan(1e-6);
    const c = JSON.parse((await bench(['epsilon', '--q', '0.04', '--target-epsilon', '2', '--steps', '2250', '--delta', '1e-5', '--json'])).stdout);
    expect(c.epsilon).toBeLessThanOrEqual(2);
    expect(c.epsilon).toBeGreaterThan(1.99);
  });

  it('handles the edges: q = 0 spends nothing, σ = 0 is unbounded', async () => {
    expect(JSON.parse((await bench(['epsilon', '--q', '0', '--sigma', '1', '--steps', '10', '--delta', '1e-5', '--json'])).stdout).epsilon).toBe(0);
    expect(JSON.parse((await bench(['epsilon', '--q', '0.1', '--sigma', '0', '--steps', '10', '--delta', '1e-5', '--json'])).stdout)).toMatchObject({ epsilon: null, unbounded: true });
  });
});

describe('bench privacy-sweep', () => {
  it('runs each privacy level, spends no more than the target ε, and reports the attack beside it', async () => {
    const out = path.join(dir, 'out-sweep');
    const r = await bench(['privacy-sweep', '--data', csv, '--epsilon', '4,inf', '--rounds', '3', '--clients-per-round', '30', '--dim', '4', '--clip-norm', '20', '--eval-every', '3', '--attack-targets', '5', '--out', out]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const results = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8'));
    expect(results.experiment).toBe('privacy-sweep');
    expect(results.rows).toHaveLength(2);
    const [dp, open] = results.rows;
    for (const row of results.rows) {
      for (const key of ['epsilon', 'delta', 'sigma', 'clip', 'rounds', 'samplingRate', 'attackAUC', 'metrics']) expect(row).toHaveProperty(key);
      expect(Number.isFinite(row.metrics['HR@10'])).toBe(true);
      expect(row.attack.targets).toBe(5);
    }
    expect(dp.sigma).toBeGreaterThan(0);
    expect(dp.epsilon).toBeGreaterThan(0);
    expect(dp.epsilon).toBeLessThanOrEqual(4);
    expect(open).toMatchObject({ sigma: 0, epsilon: null, noise: 'off' }); // ∞ is written as null in JSON
    // A device's own update gives its items away; the sum of a cohort much less so.
    expect(dp.attack.plainAUC).toBeGreaterThan(0.9);
    expect(dp.attack.plainAUC).toBeGreaterThan(dp.attack.secaggAUC);
    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('attack');
  });
});

describe('bench input errors', () => {
  it.each([
    [['centralized', '--bogus'], /unknown option '--bogus'/],
    [['centralized', '--dim', 'abc'], /--dim.*expected an integer/],
    [['centralized', '--dim', '0'], /--dim.*expected an integer from 1/],
    [['centralized', '--epochs', '2.5'], /--epochs.*expected an integer/],
    [['centralized', '--protocol', 'xyz'], /--protocol.*expected one of: loo, full, rating/],
    [['centralized', '--format', 'parquet'], /--format.*Allowed choices are ml-100k/],
    [['centralized', '--lambda', '-1'], /--lambda.*expected a number > 0/],
    [['centralized', '--data', '/nonexistent/ratings.csv'], /ratings\.csv/],
    [['nonsense'], /unknown command 'nonsense'/],
    [['epsilon', '--q', '1.5', '--sigma', '1', '--steps', '1', '--delta', '1e-5'], /--q.*expected a number ≥ 0 and ≤ 1/],
    [['epsilon', '--q', '0.1', '--sigma', '-1', '--steps', '1', '--delta', '1e-5'], /--sigma.*expected a number ≥ 0/],
    [['epsilon', '--q', '0.1', '--sigma', '1', '--steps', '1', '--delta', '1'], /--delta.*≤ 1|--delta must be below 1/],
    [['epsilon', '--q', '0.1', '--sigma', '1', '--steps', '1', '--delta', 'NaN'], /--delta.*expected a number/],
    [['epsilon', '--q', '0.1', '--target-epsilon', '0', '--steps', '1', '--delta', '1e-5'], /--target-epsilon.*expected a number > 0/],
    [['epsilon', '--q', '0.1', '--steps', '1', '--delta', '1e-5'], /exactly one of --sigma and --target-epsilon/],
    [['centralized', '--folds', '3'], /--folds and --ml-fold apply to --protocol rating only/],
    [['centralized', '--protocol', 'rating', '--folds', '1'], /--folds.*expected an integer from 2/],
    [['centralized', '--protocol', 'rating', '--ml-fold', '9'], /--ml-fold.*Allowed choices/],
    [['privacy-sweep', '--epsilon', '1,zero'], /--epsilon.*list entry 'zero'/],
    [['privacy-sweep', '--epsilon', '-1'], /--epsilon.*expected a number > 0/],
    [['privacy-sweep', '--noise', 'local'], /--noise.*expected one of: central, distributed/],
    [['privacy-sweep', '--delta', '0'], /--delta.*expected a number > 0/],
    [['federated', '--dp', 'maybe'], /--dp.*expected one of: off, central, distributed/],
    [['federated', '--synthetic-users', '5'], /--synthetic-users.*expected an integer from 10/],
  ])('%j is refused with a clear message and status 1', async (args, message) => {
    const r = await bench(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
  });

  it('names the file and line of a malformed data row', async () => {
    const bad = path.join(dir, 'bad.csv');
    await writeFile(bad, 'user,item,value\nu1,i1,4\nu2,i2,four\n');
    const r = await bench(['centralized', '--data', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.csv.*line 3/);
    await expect(stat(path.join(root, 'out', 'centralized-loo', 'never'))).rejects.toThrow();
  });
});

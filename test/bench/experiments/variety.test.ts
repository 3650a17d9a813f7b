// The variety benchmark on a small synthetic population: one row per level with the four metrics, level 0 equal
// to the plain ranking's HR@10 (computed here without the re-ranker), calibration lowering the miscalibration,
// and bad input refused.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../models/backend';
import { generateSynthetic } from '../../../bench/datasets';
import { NEGATIVES, runVariety, type VarietyResults } from '../../../bench/experiments/variety';
import { leaveOneOutSplit, sampleNegatives } from '../../../shared/metrics';
import { IMPLICIT_DEFAULTS, trainImplicit } from '../../../models/mf/implicit-als';
import { buildHistories } from '../../../models/mf/histories';
import { prepareServedTables, recommend } from '../../../shared/recommend/recommend';
import { DEFAULT_VARIETY } from '../../../client/recommend/variety';

const { data } = generateSynthetic({ users: 60, items: 150, categories: 5, dim: 4, meanInteractions: 20, seed: 7 });
let out: string;
let r: VarietyResults;

beforeAll(async () => {
  await initBackend();
  out = await mkdtemp(path.join(os.tmpdir(), 'confidant-variety-'));
  r = await runVariety({ data, levels: [0, DEFAULT_VARIETY, 1], seed: 3, out, backend: 'test', epochs: 2 });
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('bench variety', () => {
  it('writes one row per level with HR@10, ild, coverage and miscalibration; only the app\'s default is marked', async () => {
    const written = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as VarietyResults;
    expect(written.rows.map((row) => [row.level, row.default])).toEqual([[0, false], [DEFAULT_VARIETY, true], [1, false]]);
    for (const row of written.rows) {
      expect(Object.keys(row.metrics).sort()).toEqual(['HR@10', 'coverage', 'ild', 'miscalibration']);
      for (const v of Object.values(row.metrics)) expect(v).toBeGreaterThanOrEqual(0);
      expect(row.metrics['HR@10']).toBeLessThanOrEqual(1);
      expect(row.metrics.coverage).toBeLessThanOrEqual(1);
    }
    expect(written.check).not.toBeNull();
  });

  it('level 0 is the plain ranking: its HR@10 is the share of users whose held-out item the recommender ranks in its top 10', () => {
    const { train, test } = leaveOneOutSplit(data);
    const model = trainImplicit(train, { ...IMPLICIT_DEFAULTS, epochs: 2, seed: 3 });
    const served = prepareServedTables(model.params, [model.table]);
    const negatives = sampleNegatives(data, test, { count: NEGATIVES, seed: 3 });
    const histories = buildHistories(train).byUser;
    let users = 0;
    let hits = 0;
    for (let n = 0; n < test.user.length; n++) {
      const u = test.user[n]!;
      const h = histories[u]!;
      if (h.items.length === 0) continue;
      users++;
      const candidates = new Set([test.item[n]!, ...negatives[u]!]);
      const top = recommend(served, { history: { items: h.items, values: h.values }, k: 10, hidden: (i) => !candidates.has(i) });
      if (top.some((t) => t.item === test.item[n])) hits++;
    }
    expect(r.users).toBe(users);
    expect(r.rows[0]!.metrics['HR@10']).toBe(hits / users);
  });

  it('calibration lowers the lists\' miscalibration', () => {
    expect(r.rows[2]!.metrics.miscalibration).toBeLessThan(r.rows[0]!.metrics.miscalibration);
  });

  it('refuses a level outside [0, 1] and a dataset without categories', async () => {
    await expect(runVariety({ data, levels: [1.5], seed: 3, out, backend: 'test', epochs: 1 })).rejects.toThrow(/each level must be in \[0, 1\]/);
    const { itemMeta: _meta, ...bare } = data;
    await expect(runVariety({ data: bare, levels: [0], seed: 3, out, backend: 'test', epochs: 1 })).rejects.toThrow(/no item categories/);
  });
});

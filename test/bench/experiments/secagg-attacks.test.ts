// The attack bench: every attack, played against the real server round and real participants, ends as the protocol
// is designed to and reads no input; and the leak check has teeth — it rebuilds the victim's input when the
// adversary does hold both kinds of its shares, when the old threshold is allowed, or when a replay hands it over.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSecaggAttacks, type SecaggAttacksResults } from '../../../bench/experiments/secagg-attacks';
import { ATTACKS } from '../../../bench/attacks/catalogue';
import { leakCheck } from '../../../bench/attacks/leak-check';
import { splitSurvivors } from '../../../bench/attacks/lying-lists';
import { cohortRound } from '../../../bench/attacks/play';
import { replayCohort } from '../../../bench/attacks/replay-cohort';
import type { Sodium } from '../../../shared/secagg/sodium';
import { readySodium } from '../../conformance/harness';

let sodium: Sodium;
let dir: string;
let results: SecaggAttacksResults;

beforeAll(async () => {
  sodium = await readySodium();
  dir = await mkdtemp(path.join(os.tmpdir(), 'secagg-attacks-'));
  results = await runSecaggAttacks({ out: dir, quick: true });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rowOf = (attack: string, variant: string) => results.rows.find((r) => r.attack === attack && r.variant === variant)!;

describe('every attack ends as designed, with no input read', () => {
  it.each(ATTACKS.map((c) => [c.attack, c.variant, c.expected] as const))('%s (%s) → %s', (attack, variant, expected) => {
    const row = rowOf(attack, variant);
    expect(row.outcome).not.toBe('leaked');
    expect(row.outcome, row.detail).toBe(expected);
    expect(row.learned).toMatch(/nothing about the victim alone$/);
  });
});

describe('the leak check has teeth', () => {
  it('rebuilds the input when Sybils hold t shares of both of the victim\'s secrets, and not with fewer or against another input', async () => {
    const { pop, arena, config } = cohortRound(sodium, { honest: 2, sybils: 8 });
    await arena.run();
    const victim = pop.honest[0]!;
    const both = leakCheck(sodium, pop.view, victim.id, victim.input);
    expect(both.leaked).toBe(true);
    expect(both.via).toBe('shares');
    expect(both.rounds[0]).toMatchObject({ selfSeed: { rebuilt: true }, maskKey: { shares: 8, rebuilt: true } });
    // t − 1 Sybils: the mask key cannot be rebuilt, nor the seeds the victim shares with the others.
    const fewer = leakCheck(sodium, { ...pop.view, sybils: pop.sybils.slice(0, config.threshold - 1) }, victim.id, victim.input);
    expect(fewer.leaked).toBe(false);
    expect(fewer.rounds[0]!.maskKey).toEqual({ shares: config.threshold - 1, rebuilt: false });
    // Everything, but judged against an input one bit away: a rebuild must equal the true input word for word.
    const other = Uint32Array.from(victim.input);
    other[0] = other[0]! ^ 1;
    expect(leakCheck(sodium, pop.view, victim.id, other).leaked).toBe(false);
  });

  it('finds the split-survivors leak when devices accept γ = 0 (the old threshold t = ⌊m/2⌋ + 1)', async () => {
    const play = await splitSurvivors(sodium, { cohort: 11, sybils: 1, split: 'old-rule', corruptFraction: 0, floors: { corruptFraction: 0 } });
    expect(play.facts.leak).toMatchObject({ leaked: true, via: 'shares' });
  });

  it('finds the replay leak when devices lose their record of spent models', async () => {
    const play = await replayCohort(sodium, { cohort: 11, forgetful: true });
    expect(play.facts.leak).toMatchObject({ leaked: true, via: 'difference of sums' });
  });
});

describe('results.json and report.html', () => {
  it('has one row per attack case, the issue\'s eight attacks among them, and a report with each', async () => {
    const written = JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')) as SecaggAttacksResults;
    expect(written.rows.map((r) => [r.attack, r.variant])).toEqual(ATTACKS.map((c) => [c.attack, c.variant]));
    for (const name of ['split-survivors', 'sybil-cohort', 'graph-grinding', 'replay-cohort', 'low-order-key', 'junk-ciphertext', 'inconsistent-settings', 'two-models']) {
      expect(written.rows.some((r) => r.attack === name)).toBe(true);
    }
    for (const r of written.rows) expect(r.learned.length * r.detail.length * r.oldCode.why.length).toBeGreaterThan(0);
    const html = await readFile(path.join(dir, 'report.html'), 'utf8');
    for (const c of ATTACKS) expect(html).toContain(c.attack);
    expect(html).toContain("Today&#39;s code (d005f38)");
  });
});

// Every attack the bench plays, named as issue 17 names them, with what today's protocol is designed to do with it
// and how it fared on the protocol before the rewrite (d005f38), reasoned from that commit's code.
import type { Sodium } from '../../shared/secagg/sodium';
import { lowOrderPoints, lowOrderKey, junkCiphertext, forgedUnmaskShare, inconsistentDealer } from './bad-members';
import { graphGrinding } from './graph-grinding';
import { inconsistentView } from './inconsistent-views';
import { fakeComplaints, splitSurvivors } from './lying-lists';
import { classify, learnedText, type AttackOutcome, type AttackRow } from './outcome';
import type { Play } from './play';
import { replayCohort } from './replay-cohort';
import { isolate, tinyCohort, weakBudget } from './sybil-cohort';

/** How an attack fared on d005f38: whether it read the victim's input there, in a word or two, and why. */
export interface OldCode {
  leaks: boolean;
  short: string;
  why: string;
}

export interface AttackCase {
  attack: string;
  variant: string;
  /** What the rewrite is designed to do with it (README, "Secure aggregation against a lying server"). */
  expected: AttackOutcome;
  oldCode: OldCode;
  /** Play it; `quick` plays fewer repetitions (tests). */
  play(sodium: Sodium, quick: boolean): Promise<Play>;
}

const RANK: Record<AttackOutcome, number> = { 'dropped-member': 0, 'aborted-before-shares': 1, refused: 2, leaked: 3 };

/** Several plays of one attack as one row: the worst outcome, every play's evidence. */
export function combine(plays: readonly Play[]): Play {
  const worst = plays.reduce((a, b) => (RANK[classify(b.facts)] > RANK[classify(a.facts)] ? b : a));
  const outcomes = plays.map((p) => classify(p.facts));
  const agree = outcomes.every((x) => x === outcomes[0]);
  const detail = plays.length === 1 ? worst.detail : `${agree ? `${plays.length} plays, each ${outcomes[0]}` : `${plays.length} plays: ${outcomes.join(', ')}`}. ${plays.map((p, n) => `(${n + 1}) ${p.detail}`).join(' ')}`;
  return { ...worst, detail };
}

async function each<T>(items: readonly T[], play: (item: T) => Promise<Play>): Promise<Play> {
  const plays: Play[] = [];
  for (const item of items) plays.push(await play(item));
  return combine(plays);
}

const SPLIT_OLD: OldCode = {
  leaks: true,
  short: 'leaked (demonstrated)',
  why: 'every caller passed corruptDevices 0, so t = ⌊m/2⌋ + 1 = 6 for m = 11, and a device revealed its shares on t valid confirmations of the lists it had signed: the old-rule split (6 and 6) collects both of the victim\'s secrets (run against d005f38: bench/RESULTS.md)',
};

/** The attacks, in the issue's order, then the extras. */
export const ATTACKS: readonly AttackCase[] = [
  {
    attack: 'split-survivors',
    variant: '1 Sybil, cohort 11 (an odd neighbourhood)',
    expected: 'refused',
    oldCode: SPLIT_OLD,
    play: async (sodium) => combine([await splitSurvivors(sodium, { cohort: 11, sybils: 1, split: 'old-rule' }), await splitSurvivors(sodium, { cohort: 11, sybils: 1, split: 'best' })]),
  },
  {
    attack: 'split-survivors',
    variant: 'a = ⌈γ·N⌉ = 2 Sybils, cohort 11',
    expected: 'refused',
    oldCode: SPLIT_OLD,
    play: async (sodium) => combine([await splitSurvivors(sodium, { cohort: 11, sybils: 2, split: 'old-rule' }), await splitSurvivors(sodium, { cohort: 11, sybils: 2, split: 'best' })]),
  },
  {
    attack: 'sybil-cohort',
    variant: 'a cohort of 4: the victim and 3 Sybils',
    expected: 'refused',
    oldCode: { leaks: true, short: 'leaked', why: 'devices had no floors: a cohort of 4 with t = 3 (⌊4/2⌋ + 1) ran to the end, and the sum less the 3 Sybils\' inputs is the victim\'s update' },
    play: (sodium) => tinyCohort(sodium, { sybils: 3 }),
  },
  {
    attack: 'sybil-cohort',
    variant: 'γ announced as 0 (t = 6 of 11, the split-survivors threshold), 1 Sybil',
    expected: 'refused',
    oldCode: { leaks: true, short: 'leaked', why: 'there was no γ: t = 6 of 11 was the rule itself, and the split of split-survivors leaks at it' },
    play: (sodium) => weakBudget(sodium, { cohort: 11, sybils: 1 }),
  },
  {
    attack: 'sybil-cohort',
    variant: 'the victim and its 1 Sybil made the only survivors of 10',
    expected: 'refused',
    oldCode: { leaks: false, short: 'no leak (refused)', why: 'a list needed t = 6 survivors\' signatures and only the victim and the Sybil would sign one with 2 survivors (abort.too_few_devices); d005f38 fell to the split instead' },
    play: (sodium) => isolate(sodium, { cohort: 10, sybils: 1 }),
  },
  {
    attack: 'graph-grinding',
    variant: 'sparse graph, cohort 100, 3 Sybils',
    expected: 'aborted-before-shares',
    oldCode: { leaks: true, short: 'leaked (by reasoning)', why: 'the seed was a hash of the advertised keys, which the server fixes last: it ground Sybil keys offline until its Sybils neighboured the victim (the count above), and with degree 14 and t = 8 (m = 15) one Sybil holder already lets the split leak (2t − m = 1)' },
    play: (sodium, quick) => graphGrinding(sodium, { cohort: 100, sybils: 3, tries: quick ? 32 : 256 }),
  },
  {
    attack: 'replay-cohort',
    variant: 'same model hash: a cohort of 11, then its 10 others',
    expected: 'refused',
    oldCode: { leaks: true, short: 'leaked (by reasoning)', why: 'devices kept no record of the models they contributed to: the second round ran, and the difference of the two sums is the victim\'s update (the forgetful-devices control below does exactly this on today\'s code)' },
    play: (sodium) => replayCohort(sodium, { cohort: 11 }),
  },
  ...(['encKey', 'maskKey'] as const).map(
    (as): AttackCase => ({
      attack: 'low-order-key',
      variant: `a Sybil's ${as === 'encKey' ? 'encryption' : 'mask'} key: Wycheproof's low-order points, one round each`,
      expected: 'dropped-member',
      oldCode: { leaks: false, short: 'no leak; round aborted', why: 'the server relayed any key, and every honest device aborted on it in stage shares (abort.bad_key): one Sybil stopped the round for everyone' },
      play: (sodium, quick) => each(quick ? lowOrderPoints().slice(0, 1) : lowOrderPoints(), (point) => lowOrderKey(sodium, { cohort: 11, point, as })),
    }),
  ),
  {
    attack: 'junk-ciphertext',
    variant: 'a Sybil deals junk bundles to all 10 neighbours',
    expected: 'dropped-member',
    oldCode: { leaks: false, short: 'no leak; round aborted', why: 'a bundle that did not open aborted its holder (abort.tampered_share): every neighbour of the Sybil left and the round aborted' },
    play: (sodium) => junkCiphertext(sodium, { cohort: 11 }),
  },
  {
    attack: 'inconsistent-settings',
    variant: 'the victim shown a threshold below its floor (6 of 11; the others 7)',
    expected: 'refused',
    oldCode: { leaks: false, short: 'no leak alone; unnoticed', why: 'settings were not signed and devices had no floors: the victim would have dealt at t = 6 unnoticed, the threshold split-survivors exploits' },
    play: (sodium) => inconsistentView(sodium, { cohort: 11, shown: 'threshold-below-floor' }),
  },
  {
    attack: 'inconsistent-settings',
    variant: 'the victim shown a γ it accepts (0.2, t = 8; the others 0.1, t = 7)',
    expected: 'aborted-before-shares',
    oldCode: { leaks: false, short: 'no leak alone; unnoticed', why: 'settings were not signed: a device dealing at another threshold than its neighbours went unnoticed' },
    play: (sodium) => inconsistentView(sodium, { cohort: 11, shown: 'corrupt-fraction' }),
  },
  {
    attack: 'inconsistent-settings',
    variant: 'the victim shown another cohort (one member swapped for a stranger)',
    expected: 'aborted-before-shares',
    oldCode: { leaks: false, short: 'no leak; caught', why: 'the cohort was not signed, but a listed device outside the victim\'s cohort aborted it (abort.unknown_device)' },
    play: (sodium) => inconsistentView(sodium, { cohort: 11, shown: 'cohort' }),
  },
  {
    attack: 'inconsistent-settings',
    variant: 'the victim shown another purpose (evaluation)',
    expected: 'aborted-before-shares',
    oldCode: { leaks: false, short: 'n/a (no purpose)', why: 'rounds had no purpose then' },
    play: (sodium) => inconsistentView(sodium, { cohort: 11, shown: 'purpose' }),
  },
  {
    attack: 'two-models',
    variant: 'the victim given another model hash',
    expected: 'aborted-before-shares',
    oldCode: { leaks: false, short: 'no leak; caught', why: 'the model hash was already in every advertisement signature (abort.bad_signature)' },
    play: (sodium) => inconsistentView(sodium, { cohort: 11, shown: 'model' }),
  },
  {
    attack: 'fake-complaints',
    variant: '1 Sybil, cohort 10 (within γ = 0.1): made-up complaints, partners listed as dropped',
    expected: 'refused',
    oldCode: { leaks: false, short: 'no leak (no such lever)', why: 'there were no complaints: a bundle that did not open aborted its holder, and a neighbour whose bundle the server withheld from the victim could not be listed to it (abort.already_dropped); at cohort 10 with 1 Sybil the split needed a second Sybil (2t ≤ m + a: 12 > 11)' },
    play: (sodium) => fakeComplaints(sodium, { cohort: 10, sybils: 1 }),
  },
  {
    attack: 'forged-unmask-share',
    variant: 'a surviving Sybil reveals forged self-seed shares, first',
    expected: 'dropped-member',
    oldCode: { leaks: false, short: 'no leak', why: 'shares were unsigned: the server searched subsets of shares (giving up after 1,000) and could not say who forged' },
    play: (sodium) => forgedUnmaskShare(sodium, { cohort: 11 }),
  },
  {
    attack: 'inconsistent-dealer',
    variant: 'a Sybil deals signed shares of another seed than it committed to',
    expected: 'refused',
    oldCode: { leaks: false, short: 'no leak', why: 'the round failed to unmask as it does today, without proof of who dealt badly' },
    play: (sodium) => inconsistentDealer(sodium, { cohort: 11 }),
  },
];

/** Play one case into a results row. */
export async function playCase(sodium: Sodium, c: AttackCase, quick = false): Promise<AttackRow> {
  const p = await c.play(sodium, quick);
  return { attack: c.attack, variant: c.variant, outcome: classify(p.facts), learned: learnedText(p.facts), detail: `${p.detail}. Before the rewrite (d005f38): ${c.oldCode.why}.`, oldCode: c.oldCode, setup: p.setup };
}

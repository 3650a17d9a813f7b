// Secure aggregation under attack (issue 17): each attack of bench/attacks/catalogue.ts played against the real
// server round and real device participants, judged by an independent leak check; how many Sybils the list attacks
// need to read one input; and controls that show the leak check finds a leak when there is one.
import _sodium from 'libsodium-wrappers';
import path from 'node:path';
import type { Sodium } from '../../shared/secagg/sodium';
import { corruptInCohort } from '../../shared/secagg/round-settings';
import { ATTACKS, playCase } from '../attacks/catalogue';
import { fakeComplaints, splitSurvivors } from '../attacks/lying-lists';
import { classify, type AttackOutcome, type AttackRow } from '../attacks/outcome';
import type { Play } from '../attacks/play';
import { replayCohort } from '../attacks/replay-cohort';
import { isolate, sybilMajority } from '../attacks/sybil-cohort';
import { startProgress } from '../progress';
import { renderReport } from '../report/html';
import { writeFileAtomic, writeResults } from '../results';

export interface SecaggAttacksOptions {
  out: string;
  /** One low-order point per key, fewer grinding tries, no Sybil sweep and no controls (tests). */
  quick?: boolean;
}

/** The fewest Sybils with which a list attack read the victim's input, against the budget ⌈γ·N⌉ the settings assume. */
export interface SybilsNeededRow {
  attack: string;
  cohort: number;
  budget: number;
  /** null: no leak up to `tried` Sybils. */
  sybilsToLeak: number | null;
  tried: number;
  withinBudget: boolean;
}

/** A play whose leak the check must find (it has teeth). */
export interface ControlRow {
  control: string;
  outcome: AttackOutcome;
  via?: string;
  detail: string;
}

export interface SecaggAttacksResults {
  experiment: 'secagg-attacks';
  config: { quick: boolean; corruptFraction: number };
  rows: AttackRow[];
  sybilsNeeded: SybilsNeededRow[];
  controls: ControlRow[];
  timings: { total: number };
}

const GAMMA = 0.1;

async function sybilsNeeded(attack: string, cohort: number, from: number, to: number, play: (sybils: number) => Promise<Play>): Promise<SybilsNeededRow> {
  const budget = corruptInCohort(cohort, GAMMA);
  for (let a = from; a <= to; a++) {
    if (classify((await play(a)).facts) === 'leaked') return { attack, cohort, budget, sybilsToLeak: a, tried: a, withinBudget: a <= budget };
  }
  return { attack, cohort, budget, sybilsToLeak: null, tried: to, withinBudget: false };
}

async function control(name: string, p: Promise<Play>): Promise<ControlRow> {
  const play = await p;
  return { control: name, outcome: classify(play.facts), ...(play.facts.leak.via && { via: play.facts.leak.via }), detail: play.detail };
}

/** Play every attack (sequentially: the machine is shared), write results.json and report.html, return the results. */
export async function runSecaggAttacks(o: SecaggAttacksOptions): Promise<SecaggAttacksResults> {
  await _sodium.ready;
  const sodium: Sodium = _sodium;
  const started = performance.now();
  const quick = o.quick ?? false;
  const bar = startProgress('secagg-attacks', ATTACKS.length + (quick ? 0 : 6));
  const rows: AttackRow[] = [];
  for (const c of ATTACKS) {
    rows.push(await playCase(sodium, c, quick));
    bar.update(rows.length, `${c.attack}: ${rows.at(-1)!.outcome}`);
  }
  const needed: SybilsNeededRow[] = [];
  const controls: ControlRow[] = [];
  if (!quick) {
    needed.push(await sybilsNeeded('split-survivors', 11, 1, 5, (sybils) => splitSurvivors(sodium, { cohort: 11, sybils, split: 'best' })));
    needed.push(await sybilsNeeded('sybil-cohort (isolation)', 10, 1, 6, (sybils) => isolate(sodium, { cohort: 10, sybils })));
    needed.push(await sybilsNeeded('fake-complaints', 10, 0, 3, (sybils) => fakeComplaints(sodium, { cohort: 10, sybils })));
    bar.update(rows.length + 3, 'Sybils needed');
    controls.push(await control('the leak check handed both kinds of shares: 8 Sybils of 10 hold 8 shares of each of the victim\'s secrets (t = 6)', sybilMajority(sodium, { cohort: 10, sybils: 8 })));
    controls.push(await control('split-survivors where devices accept γ = 0 (t = 6, q = 6 of 11: the old rule), 1 Sybil', splitSurvivors(sodium, { cohort: 11, sybils: 1, split: 'old-rule', corruptFraction: 0, floors: { corruptFraction: 0 } })));
    controls.push(await control('replay-cohort with devices that lost their record of spent models', replayCohort(sodium, { cohort: 11, forgetful: true })));
    bar.update(rows.length + 6, 'controls');
  }
  bar.stop();
  const results: SecaggAttacksResults = { experiment: 'secagg-attacks', config: { quick, corruptFraction: GAMMA }, rows, sybilsNeeded: needed, controls, timings: { total: (performance.now() - started) / 1000 } };
  await writeResults(o.out, results);
  await writeFileAtomic(path.join(o.out, 'report.html'), report(results));
  return results;
}

function report(r: SecaggAttacksResults): string {
  const leaked = r.rows.filter((x) => x.outcome === 'leaked');
  return renderReport({
    title: 'Secure aggregation under attack (issue 17)',
    facts: [
      ['command', `npm run bench -- secagg-attacks${r.config.quick ? ' (quick)' : ''}`],
      ['verdict', leaked.length === 0 ? 'no attack read an input' : `${leaked.length} row(s) LEAKED: ${leaked.map((x) => x.attack).join(', ')} — a protocol bug`],
      ['server', 'the real round (server/rounds/secure-round.ts) behind a relay that rewrites, withholds or crafts what devices receive'],
      ['devices', 'real participants (client/rounds/participant.ts) with the default floors unless a row says otherwise; Sybils made of the pure device steps, their state read by the adversary; every message through the wire schemas'],
      ['leak check', 'rebuilds the victim\'s input from everything the adversary holds (bench/attacks/leak-check.ts); leaked only when it equals the true input'],
      ['γ', `${r.config.corruptFraction} (the server's default and the devices' floor)`],
    ],
    tables: [
      {
        caption: 'Attacks',
        columns: ['attack', 'play', 'outcome', 'what the server learned', "Today's code (d005f38)", 'set-up', 'detail'],
        rows: r.rows.map((x) => [x.attack, x.variant, x.outcome, x.learned, x.oldCode.short, x.setup, x.detail]),
      },
      {
        caption: 'Sybils a list attack needed to read one input (the budget is ⌈γ·N⌉)',
        columns: ['attack', 'cohort', 'budget', 'Sybils to leak', 'within the budget'],
        rows: r.sybilsNeeded.map((x) => [x.attack, x.cohort, x.budget, x.sybilsToLeak ?? `none up to ${x.tried}`, x.withinBudget ? 'YES (a bug)' : 'no']),
      },
      {
        caption: 'Controls: the leak check finds a leak when there is one',
        columns: ['control', 'outcome', 'via', 'detail'],
        rows: r.controls.map((x) => [x.control, x.outcome, x.via, x.detail]),
      },
    ],
    figures: [],
    notes: [
      'Outcomes: refused — devices refused to go on (an abort code) or the server refused the settings, before anything leaked; dropped-member — the bad member was dropped, named or set aside and the round completed for the others; aborted-before-shares — the round ended before any honest share bundle left a device; leaked — the leak check rebuilt the victim\'s input exactly.',
      "Today's code (d005f38): the protocol before the rewrite (commits f358f16, 975a8f1), reasoned from that commit's code; the split was also run against it (bench/RESULTS.md).",
      'Beyond the budget (more Sybils than ⌈γ·N⌉) no threshold can help: the Sybils-needed table shows where each list attack starts to work; within the budget none may.',
    ],
  });
}

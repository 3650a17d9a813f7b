// A cohort the server fills with Sybils (threat model 5, 28): too small a cohort of them around the victim, a
// corrupt fraction declared below the devices' floor, or — within the budget — the victim left alone with its
// Sybils by calling every other device dropped. Beyond the budget (more Sybils than γ allows) no protocol can help:
// `sybilMajority` shows that the leak check then finds the victim's input.
import type { Sodium } from '../../shared/secagg/sodium';
import { consistencyQuorum } from '../../shared/secagg/round-settings';
import { isSecAggError } from '../../shared/secagg/errors';
import { serverConfig } from './arena';
import { arenaCodes } from './outcome';
import { cohortRound, describeSetup, judge, received, refOf, sybilIds, unmaskRequest, VECTOR_LENGTH, type Play } from './play';

const sorted = (ids: Iterable<string>) => [...ids].sort();

/**
 * A cohort of the victim and `sybils` Sybils, below the devices' floor. The server's own settings code refuses such
 * a cohort; a lying server announces settings anyway (γ = 0.1, no dropout planned).
 */
export async function tinyCohort(sodium: Sodium, o: { sybils: number }): Promise<Play> {
  const n = 1 + o.sybils;
  let serverRefusal = 'accepted';
  try {
    serverConfig(n, { vectorLength: VECTOR_LENGTH });
  } catch (err) {
    if (!isSecAggError(err)) throw err;
    serverRefusal = err.code;
  }
  const config = serverConfig(n, { vectorLength: VECTOR_LENGTH, safety: { corruptFraction: 0.1, expectedDropout: 0 } });
  const { pop, arena, ids } = cohortRound(sodium, { honest: 1, sybils: o.sybils, config });
  await arena.run();
  const facts = judge(pop, arena, pop.honest[0]!, { excluded: false, serverRefusedSettings: serverRefusal !== 'accepted' });
  return { facts, detail: `the server's own settings for a cohort of ${n}: ${serverRefusal}; announced anyway with t = ${config.threshold}: ${arenaCodes(arena)}`, setup: describeSetup(pop, config, ids) };
}

/** The server declares γ = 0 so that the threshold is the old ⌊m/2⌋ + 1 (the split-survivors threshold). */
export async function weakBudget(sodium: Sodium, o: { cohort: number; sybils: number }): Promise<Play> {
  const { pop, arena, config, ids } = cohortRound(sodium, { honest: o.cohort - o.sybils, sybils: o.sybils, corruptFraction: 0 });
  await arena.run();
  const facts = judge(pop, arena, pop.honest[0]!, { excluded: false });
  return { facts, detail: `γ = 0 announced (t = ${config.threshold}, q = ${consistencyQuorum(ids.length, 0)}); ${arenaCodes(arena)}`, setup: describeSetup(pop, config, ids) };
}

/**
 * Isolation: the server keeps every honest masked input but the victim's out of its state machine, as if those
 * devices dropped, and tells the victim the survivors are itself and the Sybils. Within the budget the quorum
 * stops it: the victim refuses to sign a list with fewer than q survivors.
 */
export async function isolate(sodium: Sodium, o: { cohort: number; sybils: number }): Promise<Play> {
  const { pop, arena, config, ids } = cohortRound(sodium, { honest: o.cohort - o.sybils, sybils: o.sybils });
  const victim = pop.honest[0]!;
  const sybils = sybilIds(pop);
  const kept = new Set([victim.id, ...sybils]);
  await arena.run({
    toServer: (from, m) => m.type !== 'masked' || kept.has(from),
    toDevice: (to, m) => (m.type === 'result' && !sybils.has(to) ? [] : [m]),
  });
  const survivors = sorted(kept);
  const dropped = ids.filter((id) => !kept.has(id));
  if (!received(pop, arena, victim.id, 'survivors')) await arena.inject(victim.id, { type: 'survivors', ...refOf(arena), survivors, dropped });
  if (!received(pop, arena, victim.id, 'unmask-request')) await arena.inject(victim.id, unmaskRequest(pop, arena, [victim.id], survivors, dropped));
  const facts = judge(pop, arena, victim, { excluded: false });
  const detail = `${dropped.length} honest masked inputs kept from the state machine; the victim shown survivors = itself + ${o.sybils} Sybil${o.sybils === 1 ? '' : 's'} (quorum ${consistencyQuorum(ids.length, config.corruptFraction)}); ${arenaCodes(arena)}`;
  return { facts, detail, setup: describeSetup(pop, config, ids) };
}

/** Outside the model: an honest round in a cohort where Sybils hold more than t shares of everything (a control). */
export async function sybilMajority(sodium: Sodium, o: { cohort: number; sybils: number }): Promise<Play> {
  const { pop, arena, config, ids } = cohortRound(sodium, { honest: o.cohort - o.sybils, sybils: o.sybils });
  await arena.run();
  const facts = judge(pop, arena, pop.honest[0]!, { excluded: false });
  return { facts, detail: `an honest round; the Sybils hold ${o.sybils} shares of each of the victim's secrets (t = ${config.threshold}); ${arenaCodes(arena)}`, setup: describeSetup(pop, config, ids) };
}

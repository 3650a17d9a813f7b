// Replay across cohorts (threat model 27): two rounds over the same model hash, the second without the victim; the
// difference of the two sums would be the victim's update.
import type { Sodium } from '../../shared/secagg/sodium';
import { consistencyQuorum } from '../../shared/secagg/round-settings';
import { createPopulation, forgetSpentModels, openArena, roundOptions, serverConfig } from './arena';
import { arenaCodes } from './outcome';
import { describeSetup, judge, VECTOR_LENGTH, type Play } from './play';

/**
 * Round 1: the whole cohort, victim included, completes. Round 2: the same model hash and purpose, the same
 * devices without the victim. `forgetful`: the devices lose their record between the rounds (a control: the
 * record is what stops the replay).
 */
export async function replayCohort(sodium: Sodium, o: { cohort: number; forgetful?: boolean }): Promise<Play> {
  const pop = createPopulation(sodium, { honest: o.cohort, sybils: 0, vectorLength: VECTOR_LENGTH });
  const victim = pop.honest[0]!;
  const modelHash = sodium.crypto_generichash(32, 'one model version', null);
  const everyone = pop.honest.map((d) => d.id);
  const first = openArena(pop, roundOptions(sodium, { cohort: everyone, config: serverConfig(everyone.length, { vectorLength: VECTOR_LENGTH }), modelHash }));
  await first.run();
  if (o.forgetful) forgetSpentModels(pop);
  const rest = everyone.filter((id) => id !== victim.id);
  const secondConfig = serverConfig(rest.length, { vectorLength: VECTOR_LENGTH });
  const second = openArena(pop, roundOptions(sodium, { cohort: rest, config: secondConfig, modelHash, round: 2 }));
  await second.run();
  const facts = judge(pop, second, victim, { excluded: false });
  const end = first.server.outcome;
  const detail = `round 1 (all ${everyone.length}, the victim included): ${end?.status === 'completed' ? `completed, the sum of ${end.contributors.length}` : 'did not complete'}; round 2 (same model hash and purpose, the ${rest.length} others, q = ${consistencyQuorum(rest.length, secondConfig.corruptFraction)}${o.forgetful ? ', devices that lost their record' : ''}): ${arenaCodes(second)}`;
  return { facts, detail, setup: describeSetup(pop, secondConfig, rest) };
}

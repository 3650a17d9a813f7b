// What every attack shares: the cohort it plays in, the adversary's signatures and what it collected, and the
// evidence a play hands back to the catalogue.
import type { Sodium } from '../../shared/secagg/sodium';
import type { DeviceFloors } from '../../client/rounds/participant';
import type { RoundConfig, ServerMessage } from '../../shared/protocol/messages';
import { consistencyQuorum } from '../../shared/secagg/round-settings';
import { createPopulation, openArena, roundOptions, serverConfig, type Arena, type Population } from './arena';
import { leakCheck } from './leak-check';
import { factsOf, type PlayFacts } from './outcome';
import { roundKey, signLists, type Sybil } from './sybil';

/** Words in every input vector: enough that a wrong reconstruction cannot match by chance (2^-512). */
export const VECTOR_LENGTH = 16;

/** The evidence of one play: its facts (leak check included), what the adversary tried and saw, and the set-up. */
export interface Play {
  facts: PlayFacts;
  detail: string;
  setup: string;
}

/** A population and a round over all of it with the server's own configuration (or `config`). */
export function cohortRound(sodium: Sodium, o: { honest: number; sybils: number; graph?: 'complete' | 'sparse'; corruptFraction?: number; floors?: Partial<DeviceFloors>; config?: RoundConfig }): { pop: Population; arena: Arena; config: RoundConfig; ids: string[] } {
  const pop = createPopulation(sodium, { honest: o.honest, sybils: o.sybils, vectorLength: VECTOR_LENGTH, ...(o.floors && { floors: o.floors }) });
  const ids = [...pop.honest.map((d) => d.id), ...pop.sybils.map((s) => s.id)].sort();
  const config = o.config ?? serverConfig(ids.length, { graph: o.graph ?? 'complete', vectorLength: VECTOR_LENGTH, safety: { corruptFraction: o.corruptFraction ?? 0.1, expectedDropout: 0.1 } });
  return { pop, arena: openArena(pop, roundOptions(sodium, { cohort: ids, config })), config, ids };
}

/** "cohort 11 (10 honest, 1 Sybil), complete graph, t = 7, q = 7, γ = 0.1; device floors: …". */
export function describeSetup(pop: Population, config: RoundConfig, ids: readonly string[]): string {
  const cohort = ids.length;
  const sybilCount = ids.filter((id) => pop.sybils.some((s) => s.id === id)).length;
  const graph = config.graph.kind === 'complete' ? 'complete graph' : `sparse graph of degree ${config.graph.degree}`;
  const f = pop.floors;
  const floors = f.corruptFraction === 0.1 && f.minCohort === 10 ? 'default floors (γ ≥ 0.1, cohort ≥ 10)' : `floors γ ≥ ${f.corruptFraction}, cohort ≥ ${f.minCohort}`;
  return `cohort ${cohort} (${cohort - sybilCount} honest, ${sybilCount} Sybil${sybilCount === 1 ? '' : 's'}), ${graph}, t = ${config.threshold}, q = ${consistencyQuorum(cohort, config.corruptFraction)}, γ = ${config.corruptFraction}; ${floors}`;
}

/** The round reference of an arena's round. */
export function refOf(arena: Arena): { sessionId: string; round: number } {
  return { sessionId: arena.options.binding.sessionId, round: arena.options.binding.round };
}

/** Confirmations the adversary holds for given lists: those honest `signers` sent it, and every Sybil's. */
export function confirmationsFor(pop: Population, arena: Arena, signers: readonly string[], survivors: readonly string[], dropped: readonly string[]): { deviceId: string; signature: Uint8Array }[] {
  const ref = refOf(arena);
  const wanted = new Set(signers);
  const honest = pop.view.sent.flatMap(({ from, message }) => (message.type === 'confirm' && wanted.has(from) && message.sessionId === ref.sessionId && message.round === ref.round ? [{ deviceId: from, signature: message.signature }] : []));
  const sybils = pop.sybils.flatMap((s) => {
    const r = s.rounds.get(roundKey(ref));
    return r?.state.seed ? [{ deviceId: s.id, signature: signLists(pop.sodium, s, r, survivors, dropped) }] : [];
  });
  return [...honest, ...sybils];
}

/** An unmask request for lists, with every confirmation the adversary holds of them. */
export function unmaskRequest(pop: Population, arena: Arena, signers: readonly string[], survivors: readonly string[], dropped: readonly string[]): ServerMessage {
  return { type: 'unmask-request', ...refOf(arena), survivors: [...survivors].sort(), dropped: [...dropped].sort(), confirmations: confirmationsFor(pop, arena, signers, survivors, dropped) };
}

/** Whether `id` received a message of `type` in the arena's round. */
export function received(pop: Population, arena: Arena, id: string, type: ServerMessage['type']): boolean {
  const ref = refOf(arena);
  return pop.view.received.some((r) => r.to === id && r.message.type === type && 'sessionId' in r.message && r.message.sessionId === ref.sessionId && r.message.round === ref.round);
}

/** Run the leak check on the victim and gather the facts of the arena's round. */
export function judge(pop: Population, arena: Arena, victim: { id: string; input: Uint32Array }, o: { excluded: boolean; serverRefusedSettings?: boolean }): PlayFacts {
  return factsOf(arena, leakCheck(pop.sodium, pop.view, victim.id, victim.input), victim.id, o);
}

/** Is `id` one of the population's Sybils? */
export function sybilIds(pop: Population): Set<string> {
  return new Set(pop.sybils.map((s: Sybil) => s.id));
}

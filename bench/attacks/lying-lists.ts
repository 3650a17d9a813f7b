// Attacks through the survivor and dropped lists (threat model 1–3, 25): tell holders different fates of the victim
// (split-survivors), or shrink the victim's partners with made-up complaints and list them as dropped
// (fake-complaints).
import type { Sodium } from '../../shared/secagg/sodium';
import { minimumThreshold } from '../../shared/secagg/graph';
import { consistencyQuorum } from '../../shared/secagg/round-settings';
import type { DeviceFloors } from '../../client/rounds/participant';
import { honestReply } from './sybil';
import { arenaCodes } from './outcome';
import { cohortRound, describeSetup, judge, sybilIds, unmaskRequest, type Play } from './play';

const sorted = (ids: Iterable<string>) => [...ids].sort();

/**
 * Split survivors: group A (the victim and some honest holders) is told the victim survived and asked for its
 * self-seed shares; group B is told it dropped and asked for its mask-key shares. Sybils sign both lists and give
 * both kinds of share. `split`: 'old-rule' sizes the groups for t = ⌊m/2⌋ + 1 with t signatures (the rule before the
 * rewrite); 'best' gives group A exactly what today's rules need, max(t, q), and B the rest.
 */
export async function splitSurvivors(sodium: Sodium, o: { cohort: number; sybils: number; split: 'old-rule' | 'best'; corruptFraction?: number; floors?: Partial<DeviceFloors> }): Promise<Play> {
  const { pop, arena, config, ids } = cohortRound(sodium, { honest: o.cohort - o.sybils, sybils: o.sybils, ...(o.corruptFraction !== undefined && { corruptFraction: o.corruptFraction }), ...(o.floors && { floors: o.floors }) });
  const [victim, ...others] = pop.honest;
  const q = consistencyQuorum(ids.length, config.corruptFraction);
  const need = o.split === 'old-rule' ? minimumThreshold({ kind: 'complete', n: ids.length }) : Math.max(config.threshold, q);
  const inA = Math.min(others.length, Math.max(0, need - 1 - o.sybils));
  const groupA = [victim!.id, ...others.slice(0, inA).map((d) => d.id)];
  const groupB = others.slice(inA).map((d) => d.id);
  const listB = { survivors: ids.filter((id) => id !== victim!.id), dropped: [victim!.id] };
  const inB = new Set(groupB);
  const sybils = sybilIds(pop);
  await arena.run({
    toDevice: (to, m) => {
      if (m.type === 'survivors' && inB.has(to)) return [{ ...m, ...listB }];
      if ((m.type === 'unmask-request' || m.type === 'result') && !sybils.has(to)) return []; // the adversary asks itself, below
      return [m];
    },
    sybil: (s, m) => (m.type === 'survivors' || m.type === 'unmask-request' ? [] : honestReply(sodium, s, m)),
  });
  // The lists the server's own machine sent (the truth: the victim survived), and group B's.
  const truth = pop.view.received.find((r) => r.to === victim!.id && r.message.type === 'survivors')?.message;
  const listA = truth?.type === 'survivors' ? { survivors: truth.survivors, dropped: truth.dropped } : { survivors: ids, dropped: [] };
  for (const [group, lists] of [[groupA, listA], [groupB, listB]] as const) {
    const request = unmaskRequest(pop, arena, group, lists.survivors, lists.dropped);
    for (const id of group) await arena.inject(id, request);
  }
  const facts = judge(pop, arena, victim!, { excluded: false });
  const detail = `${o.split === 'old-rule' ? `groups sized for the old rule (t = ${need})` : `group A given what today's rules need (${need})`}: A = the victim + ${inA} honest + ${o.sybils} Sybil${o.sybils === 1 ? '' : 's'} told it survived, B = ${groupB.length} honest + ${o.sybils} Sybil${o.sybils === 1 ? '' : 's'} told it dropped; ${arenaCodes(arena)}`;
  return { facts, detail, setup: describeSetup(pop, config, ids) };
}

/**
 * Fake complaints and declared drops: the server tells the victim that some honest neighbours (C) complained about
 * its bundle, so it masks only with the rest (P: Sybils and t − 1 − a honest devices); then it lists the honest
 * ones of P as dropped. The survivor list — the victim, the Sybils and C — is one list, signed by all of them:
 * C's members hold the victim's shares and never complained, so they reveal its self seed, and every survivor
 * reveals the mask keys of the "dropped" partners, which give every pairwise mask the victim used.
 */
export async function fakeComplaints(sodium: Sodium, o: { cohort: number; sybils: number; partners?: number }): Promise<Play> {
  const { pop, arena, config, ids } = cohortRound(sodium, { honest: o.cohort - o.sybils, sybils: o.sybils });
  const [victim, ...others] = pop.honest;
  // t − 1 partners, the Sybils among them: what devices accepted until this bench showed the leak (fixed in
  // shared/secagg/device-round.ts, maskedInput, which now wants t: the victim refuses, abort.too_few_devices).
  const partnerCount = o.partners ?? config.threshold - 1;
  const partners = others.slice(0, Math.max(0, partnerCount - o.sybils)).map((d) => d.id);
  const cut = others.slice(partners.length).map((d) => d.id);
  const declaredDropped = new Set(partners);
  const survivors = ids.filter((id) => !declaredDropped.has(id));
  const dropped = sorted(partners);
  const sybils = sybilIds(pop);
  await arena.run({
    toDevice: (to, m) => {
      if (m.type === 'masking' && to === victim!.id) return [{ ...m, unpaired: sorted(cut) }];
      if (m.type === 'survivors') return declaredDropped.has(to) ? [] : [{ ...m, survivors, dropped }];
      if ((m.type === 'unmask-request' || m.type === 'result') && !sybils.has(to)) return [];
      return [m];
    },
    sybil: (s, m) => (m.type === 'survivors' || m.type === 'unmask-request' ? [] : honestReply(sodium, s, m)),
  });
  const signers = [victim!.id, ...cut];
  const request = unmaskRequest(pop, arena, signers, survivors, dropped);
  for (const id of signers) await arena.inject(id, request);
  const facts = judge(pop, arena, victim!, { excluded: false });
  const detail = `the victim told ${cut.length} honest neighbours complained (it masked with ${partners.length + o.sybils}: ${partners.length} honest + ${o.sybils} Sybil${o.sybils === 1 ? '' : 's'}); those ${partners.length} honest partners listed as dropped, the survivor list (${survivors.length}: the victim, the Sybils and the ${cut.length} "complainers") signed by every survivor; ${arenaCodes(arena)}`;
  return { facts, detail, setup: describeSetup(pop, config, ids) };
}

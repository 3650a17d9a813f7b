// Graph grinding (threat model 26): on a sparse graph the server wants its Sybils around a victim. It grinds Sybil
// keys against the honest keys — which chose the graph before the rewrite, when the seed was a hash of the keys —
// and then, seeing the honest reveals, keeps back the reveals of Sybils whose absence gives it a better graph.
import type { Sodium } from '../../shared/secagg/sodium';
import { encodeTuple } from '../../shared/secagg/encoding';
import { buildGraph, minimumThreshold } from '../../shared/secagg/graph';
import { generateKeyPair, type KeyPair } from '../../shared/secagg/keys';
import { graphCommitment, graphSeed, seedCommitment, type RoundBinding } from '../../shared/secagg/transcript';
import type { RoundMessage } from '../../server/rounds/host';
import { advertiseMessage, honestReply, roundKey, signAdvertisement, type Sybil } from './sybil';
import { arenaCodes } from './outcome';
import { cohortRound, describeSetup, judge, refOf, sybilIds, type Play } from './play';

type Ad = { deviceId: string; encKey: Uint8Array; maskKey: Uint8Array };

/** d005f38's graph seed (shared/secagg/transcript.ts there): a hash of the advertised keys, which the server chooses last. */
export function oldGraphSeed(sodium: Sodium, b: RoundBinding, ads: readonly Ad[]): Uint8Array {
  const sorted = [...ads].sort((x, y) => (x.deviceId < y.deviceId ? -1 : x.deviceId > y.deviceId ? 1 : 0));
  return sodium.crypto_generichash(32, encodeTuple(['confidant/secagg/v1/graph-seed', b.sessionId, b.round, b.modelHash, ...sorted.flatMap((a) => [a.deviceId, a.encKey, a.maskKey])]), null);
}

/** d005f38's sparse degree (shared/secagg/round-settings.ts there): 2·⌈log2 n⌉. */
const oldDegree = (n: number) => Math.min(2 * Math.ceil(Math.log2(Math.max(2, n))), n - 1 - ((n - 1) % 2));

const sybilNeighbours = (graph: Map<string, string[]>, victim: string, sybils: ReadonlySet<string>) => graph.get(victim)!.filter((v) => sybils.has(v)).length;

/** Every subset of `items` (2^n of them; n is the handful of Sybils). */
function subsets<T>(items: readonly T[]): T[][] {
  return Array.from({ length: 2 ** items.length }, (_, mask) => items.filter((_x, i) => (mask >> i) & 1));
}

export async function graphGrinding(sodium: Sodium, o: { cohort: number; sybils: number; tries: number }): Promise<Play> {
  const { pop, arena, config, ids } = cohortRound(sodium, { honest: o.cohort - o.sybils, sybils: o.sybils, graph: 'sparse' });
  if (config.graph.kind !== 'sparse') throw new Error(`a cohort of ${o.cohort} gets no sparse graph; graph-grinding needs one`);
  const degree = config.graph.degree;
  const binding = arena.options.binding;
  const victim = pop.honest[0]!;
  const sybils = sybilIds(pop);
  const ref = refOf(arena);
  const sent = (type: RoundMessage['type']) => pop.view.sent.filter((s) => s.message.type === type && 'sessionId' in s.message && s.message.sessionId === ref.sessionId);

  // 1. Grind Sybil keys once the honest advertisements are in (the Sybils hear the invitation last).
  let ground: Map<string, { enc: KeyPair; mask: KeyPair }> | undefined;
  let oldBest = 0;
  let oldMean = 0;
  const grind = () => {
    const honestAds = sent('advertise').map(({ from, message }) => ({ deviceId: from, ...(message as Extract<RoundMessage, { type: 'advertise' }>) }));
    const k = oldDegree(ids.length);
    for (let n = 0; n < o.tries; n++) {
      const candidate = new Map(pop.sybils.map((s) => [s.id, { enc: generateKeyPair(sodium), mask: generateKeyPair(sodium) }]));
      const ads = [...honestAds, ...[...candidate].map(([deviceId, c]) => ({ deviceId, encKey: c.enc.publicKey, maskKey: c.mask.publicKey }))];
      const score = sybilNeighbours(buildGraph(sodium, { devices: ids, kind: 'sparse', degree: k, seed: oldGraphSeed(sodium, binding, ads) }), victim.id, sybils);
      oldMean += score / o.tries;
      if (!ground || score > oldBest) [ground, oldBest] = [candidate, score];
    }
    return ground!;
  };
  // 2. Seeing the honest reveals, pick the Sybil reveals to keep back (it must keep back at least one to get a choice).
  let withheld: string[] = [];
  let allReveals = 0;
  let bestWithholding = 0;
  const sybilReveal = (s: Sybil) => s.rounds.get(roundKey(ref))!.state.graphSecret;
  const choose = () => {
    const honestReveals = sent('reveal').map(({ from, message }) => ({ deviceId: from, secret: (message as Extract<RoundMessage, { type: 'reveal' }>).secret }));
    let best: { keep: Sybil[]; score: number } | undefined;
    for (const keep of subsets(pop.sybils)) {
      const reveals = [...honestReveals, ...keep.map((s) => ({ deviceId: s.id, secret: sybilReveal(s) }))];
      const score = sybilNeighbours(buildGraph(sodium, { devices: ids, kind: 'sparse', degree, seed: graphSeed(sodium, binding, reveals) }), victim.id, sybils);
      if (keep.length === pop.sybils.length) allReveals = score;
      else if (!best || score > best.score) best = { keep, score };
    }
    bestWithholding = best!.score;
    withheld = pop.sybils.filter((s) => !best!.keep.includes(s)).map((s) => s.id);
    return { honestReveals, keep: best!.keep };
  };
  let chosen: ReturnType<typeof choose> | undefined;

  await arena.run({
    sybilsHearFirst: false,
    toDevice: (to, m) => (m.type === 'result' && !sybils.has(to) ? [] : [m]), // keep honest devices in the round for the crafted seeds
    sybil: (s, m) => {
      if (m.type === 'invite') {
        honestReply(sodium, s, m); // the Sybil's state: self seed, graph randomness
        const keys = (ground ??= grind()).get(s.id)!;
        const r = s.rounds.get(roundKey(ref))!;
        [r.state.encKeys, r.state.maskKeys] = [keys.enc, keys.mask];
        const ad = signAdvertisement(sodium, s, r, { deviceId: s.id, encKey: keys.enc.publicKey, maskKey: keys.mask.publicKey, seedCommitment: seedCommitment(sodium, r.state.selfSeed), graphCommitment: graphCommitment(sodium, r.state.graphSecret) });
        return [advertiseMessage(ref, ad)];
      }
      if (m.type === 'keys') {
        const reply = honestReply(sodium, s, m);
        chosen ??= choose();
        return withheld.includes(s.id) ? [] : reply;
      }
      return honestReply(sodium, s, m);
    },
  });
  // 3. Deal the graph it chose to the honest devices anyway: half without the withheld reveals, half with one forged.
  const honestIds = pop.honest.map((d) => d.id);
  const kept = chosen!.keep.map((s) => ({ deviceId: s.id, secret: sybilReveal(s) }));
  const missing = { type: 'seed' as const, ...ref, reveals: [...chosen!.honestReveals, ...kept] };
  const forged = { ...missing, reveals: [...missing.reveals, ...withheld.map((deviceId) => ({ deviceId, secret: sodium.randombytes_buf(32) }))] };
  for (const [n, id] of honestIds.entries()) await arena.inject(id, n % 2 === 0 ? missing : forged);

  const facts = judge(pop, arena, victim, { excluded: false });
  const m = degree + 1;
  const detail = `${o.tries} Sybil key sets ground against the honest keys: under d005f38's seed (a hash of the keys; degree ${oldDegree(ids.length)}, t = ${minimumThreshold({ kind: 'sparse', n: ids.length, degree: oldDegree(ids.length) })} there) the best put ${oldBest} of the ${o.sybils} Sybils among the victim's neighbours (${oldMean.toFixed(2)} on average); today's seed hashes every device's revealed randomness: the same keys gave ${allReveals} of the victim's ${degree} neighbours, the graphs reachable by keeping reveals back at most ${bestWithholding} (a split needs ${2 * config.threshold - m} Sybil holders: 2t − m with m = ${m}); it kept back ${withheld.length} of the ${o.sybils} Sybil reveals, then sent half the honest devices the seed without them and half with forged ones; ${arenaCodes(arena)}`;
  return { facts, detail, setup: describeSetup(pop, config, ids) };
}

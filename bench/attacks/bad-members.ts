// One bad member must not stop a round (threat model 10, 30): a Sybil with a low-order key, with junk share bundles,
// with forged shares at unmasking, or that deals shares (signed) of another secret than it committed to.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sodium } from '../../shared/secagg/sodium';
import { shareKeys } from '../../shared/secagg/device-round';
import { fromBase64Url, toBase64Url } from '../../shared/protocol/encoding';
import type { Outbound } from '../../client/rounds/participant';
import { advertiseMessage, honestReply, json, roundKey, signAdvertisement } from './sybil';
import { arenaCodes } from './outcome';
import { cohortRound, describeSetup, judge, refOf, type Play } from './play';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Distinct low-order X25519 public keys of the Wycheproof vectors already in the repo (flag LowOrderPublic), as hex. */
export function lowOrderPoints(): string[] {
  const file = JSON.parse(readFileSync(path.join(repoRoot, 'test', 'vectors', 'wycheproof', 'x25519_test.json'), 'utf8')) as { testGroups: { tests: { public: string; flags: string[] }[] }[] };
  return [...new Set(file.testGroups.flatMap((g) => g.tests.filter((t) => t.flags.includes('LowOrderPublic')).map((t) => t.public)))];
}

const hexBytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

/** Flip the low bit of the last byte (a ciphertext then fails authentication; a share changes one coefficient). */
function flipLast(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[out.length - 1] = out[out.length - 1]! ^ 1;
  return out;
}

/** A cohort of `cohort` with one Sybil; the round goes on without it when it misbehaves. */
const ONE_SYBIL = (cohort: number) => ({ honest: cohort - 1, sybils: 1 });

/** A Sybil advertises a low-order key (hex) as its encryption or mask key, signed: the server drops it before any key list. */
export async function lowOrderKey(sodium: Sodium, o: { cohort: number; point: string; as: 'encKey' | 'maskKey' }): Promise<Play> {
  const { pop, arena, config, ids } = cohortRound(sodium, ONE_SYBIL(o.cohort));
  const sybil = pop.sybils[0]!;
  await arena.run({
    sybil: (s, m) => {
      if (m.type !== 'invite') return honestReply(sodium, s, m);
      const [advertised] = honestReply(sodium, s, m);
      if (!advertised || advertised.kind !== 'json' || advertised.message.type !== 'advertise') return [];
      const w = advertised.message;
      const ad = { deviceId: s.id, encKey: fromBase64Url(w.encKey), maskKey: fromBase64Url(w.maskKey), seedCommitment: fromBase64Url(w.seedCommitment), graphCommitment: fromBase64Url(w.graphCommitment), [o.as]: hexBytes(o.point) };
      return [advertiseMessage(refOf(arena), signAdvertisement(sodium, s, s.rounds.get(roundKey(refOf(arena)))!, ad))];
    },
  });
  const dropped = arena.refusals.some((r) => r.device === sybil.id && r.code === 'key.invalid');
  const facts = judge(pop, arena, pop.honest[0]!, { excluded: dropped });
  return { facts, detail: `the Sybil's ${o.as} = ${o.point}; ${arenaCodes(arena)}`, setup: describeSetup(pop, config, ids) };
}

/** A Sybil deals junk bundles (its real ciphertexts with one bit flipped) to every neighbour, then cannot mask and falls silent. */
export async function junkCiphertext(sodium: Sodium, o: { cohort: number }): Promise<Play> {
  const { pop, arena, config, ids } = cohortRound(sodium, ONE_SYBIL(o.cohort));
  const sybil = pop.sybils[0]!;
  await arena.run({
    sybil: (s, m): Outbound[] => {
      if (m.type !== 'seed') return honestReply(sodium, s, m);
      const r = s.rounds.get(roundKey(m))!;
      const sealed = shareKeys(r.ctx, r.state, m.reveals);
      return [json({ type: 'shares', ...refOf(arena), shares: sealed.map((x) => ({ to: x.to, ciphertext: flipLast(x.ciphertext) })) })];
    },
  });
  const complaints = pop.view.sent.filter((s) => s.message.type === 'check' && s.message.complaints.includes(sybil.id)).length;
  const end = arena.server.outcome;
  const facts = judge(pop, arena, pop.honest[0]!, { excluded: complaints > 0 && end?.status === 'completed' && !end.contributors.includes(sybil.id) });
  return { facts, detail: `${complaints} holders named the Sybil in stage check; ${arenaCodes(arena)}`, setup: describeSetup(pop, config, ids) };
}

/**
 * A surviving Sybil reveals a forged self-seed share (one bit flipped, the dealer's signature kept) for every
 * survivor; it answers first, so its shares are among the first t the server interpolates.
 */
export async function forgedUnmaskShare(sodium: Sodium, o: { cohort: number }): Promise<Play> {
  const { pop, arena, config, ids } = cohortRound(sodium, ONE_SYBIL(o.cohort));
  const sybil = pop.sybils[0]!;
  await arena.run({
    sybil: (s, m) => {
      const replies = honestReply(sodium, s, m);
      if (m.type !== 'unmask-request') return replies;
      return replies.map((r) => {
        if (r.kind !== 'json' || r.message.type !== 'unmask') return r;
        const forged = r.message.selfSeedShares.map((x) => ({ ...x, share: toBase64Url(flipLast(fromBase64Url(x.share))) }));
        return { kind: 'json', message: { ...r.message, selfSeedShares: forged } };
      });
    },
  });
  const end = arena.server.outcome;
  const named = end !== undefined && end.misbehaved.includes(sybil.id);
  const facts = judge(pop, arena, pop.honest[0]!, { excluded: named });
  return { facts, detail: `the Sybil's forged shares ${named ? 'set aside and it named' : 'not noticed'}; ${arenaCodes(arena)}`, setup: describeSetup(pop, config, ids) };
}

/** A Sybil deals shares, signed, of another self seed than the one it committed to: the round cannot be unmasked. */
export async function inconsistentDealer(sodium: Sodium, o: { cohort: number }): Promise<Play> {
  const { pop, arena, config, ids } = cohortRound(sodium, ONE_SYBIL(o.cohort));
  const sybil = pop.sybils[0]!;
  await arena.run({
    sybil: (s, m) => {
      if (m.type === 'seed') s.rounds.get(roundKey(m))!.state.selfSeed = sodium.randombytes_buf(32); // not what it committed to
      return honestReply(sodium, s, m);
    },
  });
  const end = arena.server.outcome;
  const facts = judge(pop, arena, pop.honest[0]!, { excluded: false });
  return { facts, detail: `the dealer ${end?.misbehaved.includes(sybil.id) ? 'named' : 'not named'} to the coordinator; ${arenaCodes(arena)}`, setup: describeSetup(pop, config, ids) };
}

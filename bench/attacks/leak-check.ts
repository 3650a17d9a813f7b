// Did the adversary learn one device's input? An independent check that takes the adversary's whole view — what
// honest devices sent it, what it sent them, the sums it unmasked, and its Sybils' states — and tries to rebuild the
// victim's input x_v exactly, three ways:
//
// - shares: y_v = x_v + PRG(b_v) + Σ_{u ∈ P_v} ±PRG(s_vu) (Bonawitz et al. 2017). Rebuild b_v from every self-seed
//   share of v it holds (revealed by honest devices, or dealt to a Sybil), and each s_vu from v's mask key (rebuilt the
//   same way), a Sybil's own key, or u's mask key (rebuilt); P_v, the devices v masked with, is what the adversary
//   told v: the bundles it delivered, less the dealers v complained about, less those it said complained about v.
// - sum: a sum whose other contributors are all Sybils, less the Sybils' inputs.
// - difference: two sums whose contributors differ by the victim (and Sybils).
//
// `leaked` only when a reconstruction equals the true input, word for word. It uses no protocol code beyond the
// primitives (Shamir interpolation, key agreement, the mask generator), so a check a protocol step forgot is not
// forgotten here.
import { agreeKey, KEY_CONTEXT, type KeyPair } from '../../shared/secagg/keys';
import { addMask } from '../../shared/secagg/masking';
import { decodeShare, interpolateSecret, type Share } from '../../shared/secagg/shamir';
import type { Sodium } from '../../shared/secagg/sodium';
import { maskSign, seedCommitment } from '../../shared/secagg/transcript';
import type { RoundMessage } from '../../server/rounds/host';
import type { ServerMessage } from '../../shared/protocol/messages';
import type { AdversaryView } from './arena';
import { roundKey, type Sybil } from './sybil';

/** What the adversary could rebuild of the victim in one round where the victim sent a masked input. */
export interface RoundLeak {
  round: string;
  /** Distinct shares of the victim's self seed it holds, and whether they rebuild it. */
  selfSeed: { shares: number; rebuilt: boolean };
  maskKey: { shares: number; rebuilt: boolean };
  /** Devices the victim masked with, and how many of those pairwise seeds the adversary can compute. */
  partners: number;
  partnerSeedsKnown: number;
}

export interface LeakResult {
  leaked: boolean;
  via?: 'shares' | 'sum' | 'difference of sums';
  rounds: RoundLeak[];
  /** The number of contributors of each unmasked sum the adversary holds, and how many of those sums include the victim. */
  sums: number[];
  sumsWithVictim: number;
}

type Unmask = Extract<RoundMessage, { type: 'unmask' }>;
type Ref = { sessionId: string; round: number };

const refOf = (m: RoundMessage): Ref => (m.type === 'masked' ? m.header : m);
const sameRef = (a: Ref, b: Ref) => a.sessionId === b.sessionId && a.round === b.round;
const equal = (a: Uint32Array, b: Uint32Array) => a.length === b.length && a.every((w, n) => w === b[n]);

/** Interpolate every distinct share held; the secret only when it passes `check` (too few shares give garbage). */
function rebuild(encoded: readonly Uint8Array[], check: (secret: Uint8Array) => boolean): { shares: number; secret?: Uint8Array } {
  const byX = new Map<number, Share>();
  for (const bytes of encoded) {
    try {
      const share = decodeShare(bytes, 32);
      byX.set(share.x, share);
    } catch {
      // not a share of a 32-byte secret: useless to the adversary
    }
  }
  if (byX.size === 0) return { shares: 0 };
  const secret = interpolateSecret([...byX.values()], 32);
  return secret && check(secret) ? { shares: byX.size, secret } : { shares: byX.size };
}

/** Everything the adversary knows of one round, indexed. */
function roundKnowledge(view: AdversaryView, ref: Ref) {
  const sent = view.sent.filter((s) => sameRef(refOf(s.message), ref));
  const received = view.received.filter((r) => r.message.type !== 'challenge' && r.message.type !== 'welcome' && r.message.type !== 'refused' && sameRef(r.message, ref));
  const sybils = view.sybils.map((s) => ({ sybil: s, round: s.rounds.get(roundKey(ref)) })).filter((x) => x.round !== undefined);
  const unmasks = sent.map((s) => s.message).filter((m): m is Unmask => m.type === 'unmask');
  const sharesOf = (owner: string, kind: 'selfSeed' | 'maskKey'): Uint8Array[] => [
    ...unmasks.flatMap((u) => (kind === 'selfSeed' ? u.selfSeedShares : u.maskKeyShares).filter((x) => x.of === owner).map((x) => x.share)),
    ...sybils.flatMap(({ round }) => {
      const held = round!.state.held.get(owner);
      return held ? [kind === 'selfSeed' ? held.selfSeedShare : held.maskKeyShare] : [];
    }),
  ];
  return { sent, received, sybils, sharesOf };
}

/** The first message of `type` the adversary sent `to` in the round: the one the device acted on (a second is out of order). */
function firstOfType<T extends ServerMessage['type']>(received: { to: string; message: ServerMessage }[], to: string, type: T): Extract<ServerMessage, { type: T }> | undefined {
  return received.find((r) => r.to === to && r.message.type === type)?.message as Extract<ServerMessage, { type: T }> | undefined;
}

/** Try the shares route for one masked vector of the victim. */
function fromShares(sodium: Sodium, view: AdversaryView, victim: string, y: Uint32Array, ref: Ref, truth: Uint32Array): { round: RoundLeak; leaked: boolean } {
  const k = roundKnowledge(view, ref);
  const key = roundKey(ref);
  const empty: RoundLeak = { round: key, selfSeed: { shares: 0, rebuilt: false }, maskKey: { shares: 0, rebuilt: false }, partners: 0, partnerSeedsKnown: 0 };
  // The key list as the victim was shown it: the public keys it masked against.
  const keys = firstOfType(k.received, victim, 'keys');
  const mine = keys?.devices.find((d) => d.deviceId === victim);
  if (!keys || !mine) return { round: empty, leaked: false };
  const publicKey = new Map(keys.devices.map((d) => [d.deviceId, d.maskKey]));
  const selfSeed = rebuild(k.sharesOf(victim, 'selfSeed'), (s) => sodium.memcmp(seedCommitment(sodium, s), mine.seedCommitment));
  const maskKey = rebuild(k.sharesOf(victim, 'maskKey'), (s) => sodium.memcmp(sodium.crypto_scalarmult_base(s), mine.maskKey));
  // P_v: delivered to v, less v's own complaints, less those it was told complained about it.
  const delivered = firstOfType(k.received, victim, 'deliver')?.shares.map((s) => s.from) ?? [];
  const complained = new Set(k.sent.filter((s) => s.from === victim && s.message.type === 'check').flatMap((s) => (s.message as Extract<RoundMessage, { type: 'check' }>).complaints));
  const unpaired = new Set(firstOfType(k.received, victim, 'masking')?.unpaired ?? []);
  const partners = [...new Set(delivered)].filter((u) => u !== victim && !complained.has(u) && !unpaired.has(u));
  const seeds: { seed: Uint8Array; sign: 1 | -1 }[] = [];
  for (const u of partners) {
    const theirs = publicKey.get(u);
    if (!theirs) continue;
    let seed: Uint8Array | undefined;
    const sybil = k.sybils.find((s) => s.sybil.id === u)?.round;
    if (maskKey.secret) seed = agreeKey(sodium, { publicKey: mine.maskKey, privateKey: maskKey.secret }, theirs, KEY_CONTEXT.maskSeed);
    else if (sybil) seed = agreeKey(sodium, sybil.state.maskKeys, mine.maskKey, KEY_CONTEXT.maskSeed);
    else {
      const theirKey = rebuild(k.sharesOf(u, 'maskKey'), (s) => sodium.memcmp(sodium.crypto_scalarmult_base(s), theirs));
      if (theirKey.secret) seed = agreeKey(sodium, { publicKey: theirs, privateKey: theirKey.secret } satisfies KeyPair, mine.maskKey, KEY_CONTEXT.maskSeed);
    }
    if (seed) seeds.push({ seed, sign: maskSign(victim, u) });
  }
  const round: RoundLeak = { round: key, selfSeed: { shares: selfSeed.shares, rebuilt: !!selfSeed.secret }, maskKey: { shares: maskKey.shares, rebuilt: !!maskKey.secret }, partners: partners.length, partnerSeedsKnown: seeds.length };
  if (!selfSeed.secret || seeds.length < partners.length) return { round, leaked: false };
  // x_v = y_v − PRG(b_v) − Σ sign·PRG(s_vu)
  const x = Uint32Array.from(y);
  addMask(sodium, x, selfSeed.secret, -1);
  for (const s of seeds) addMask(sodium, x, s.seed, s.sign === 1 ? -1 : 1);
  return { round, leaked: equal(x, truth) };
}

function sumOf(a: Uint32Array, b: Uint32Array, sign: 1 | -1): Uint32Array {
  return a.map((w, n) => (sign === 1 ? w + b[n]! : w - b[n]!) >>> 0);
}

/** Try to rebuild `victim`'s input from everything in `view`; `truth` is its real input (the bench's knowledge only). */
export function leakCheck(sodium: Sodium, view: AdversaryView, victim: string, truth: Uint32Array): LeakResult {
  const rounds: RoundLeak[] = [];
  let via: LeakResult['via'];
  for (const { from, message } of view.sent) {
    if (from !== victim || message.type !== 'masked') continue;
    const r = fromShares(sodium, view, victim, message.vector, message.header, truth);
    rounds.push(r.round);
    if (r.leaked) via ??= 'shares';
  }
  const sybils = new Map<string, Sybil>(view.sybils.map((s) => [s.id, s]));
  const withVictim = view.sums.filter((s) => s.contributors.includes(victim));
  for (const s of withVictim) {
    const others = s.contributors.filter((c) => c !== victim);
    if (!others.every((c) => sybils.has(c))) continue;
    const x = others.reduce((acc, c) => sumOf(acc, sybils.get(c)!.input, -1), s.sum);
    if (equal(x, truth)) via ??= 'sum';
  }
  for (const a of withVictim) {
    for (const b of view.sums) {
      if (b.contributors.includes(victim)) continue;
      const onlyA = a.contributors.filter((c) => !b.contributors.includes(c));
      const onlyB = b.contributors.filter((c) => !a.contributors.includes(c));
      if (!onlyA.every((c) => c === victim || sybils.has(c)) || !onlyB.every((c) => sybils.has(c))) continue;
      // x_v = Σ_a − Σ_b − (Sybils only in a) + (Sybils only in b)
      let x = sumOf(a.sum, b.sum, -1);
      for (const c of onlyA) if (c !== victim) x = sumOf(x, sybils.get(c)!.input, -1);
      for (const c of onlyB) x = sumOf(x, sybils.get(c)!.input, 1);
      if (equal(x, truth)) via ??= 'difference of sums';
    }
  }
  return { leaked: via !== undefined, ...(via && { via }), rounds, sums: view.sums.map((s) => s.contributors.length), sumsWithVictim: withVictim.length };
}

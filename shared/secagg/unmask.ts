// The server's last step: rebuild survivors' self seeds and dropped devices' mask keys, and strip every mask from the sum.
//
// Σ_{u∈S} y_u = Σ x_u + Σ_{u∈S} PRG(b_u) + Σ_{u∈S, v∈D, u~v} ±PRG(s_uv): pairwise masks between two survivors cancel,
// so only the self masks of survivors S and the pairwise masks towards dropped devices D remain to remove (u~v: the
// two masked with each other — neighbours, v dealt shares, and neither complained about the other's bundle).
//
// Every revealed share carries its dealer's signature. Verifying them all would cost one Ed25519 check per share, so
// the fast path interpolates the first t shares and checks the result against the owner's commitment (or public
// key); only when that fails are the signatures checked, the forged shares set aside (their holders named), and the
// secret rebuilt from t signed ones. No subsets are searched: a signed share is the dealer's own, so when t signed
// shares still do not rebuild the committed secret, the dealer dealt inconsistent shares — provably, by its own
// signatures — and the round cannot be unmasked.
import { agreeKey, KEY_CONTEXT } from './keys';
import { applyMasks, type MaskApplier, type MaskTerm } from './masking';
import { decodeShare, interpolateSecret, type Share } from './shamir';
import { SecAggError } from './errors';
import { verify } from './sign';
import type { Sodium } from './sodium';
import { maskSign, seedCommitment, shareDigest, sharePayload, type Advertisement, type RoundBinding } from './transcript';

/** One revealed share as the server received it: who revealed it, the other share's digest, the dealer's signature. */
export interface ReceivedShare {
  holder: string;
  share: Uint8Array;
  other: Uint8Array;
  signature: Uint8Array;
}

/** What the server holds at the end of a round. */
export interface UnmaskInput {
  sodium: Sodium;
  binding: RoundBinding;
  threshold: number;
  advertised: ReadonlyMap<string, Advertisement>;
  graph: ReadonlyMap<string, readonly string[]>;
  survivors: readonly string[];
  dropped: readonly string[];
  /** Whether survivor u and dropped v masked with each other (default: every neighbour pair). */
  paired?: (u: string, v: string) => boolean;
  /** Σ of the survivors' masked vectors (mod 2^32). */
  maskedSum: Uint32Array;
  /** Revealed shares by owner. */
  selfSeedShares: ReadonlyMap<string, readonly ReceivedShare[]>;
  maskKeyShares: ReadonlyMap<string, readonly ReceivedShare[]>;
  /** A faster way to the same result (the server's parallel node:crypto ChaCha20); default libsodium, one term at a time. */
  applyMasks?: MaskApplier;
}

/** The masks to strip, and the holders whose revealed shares were forged (set aside). */
export interface MaskPlan {
  terms: MaskTerm[];
  forgers: string[];
}

type Kind = 'selfSeed' | 'maskKey';

/** 'share.tampered' from a dealer whose own signed shares do not rebuild its committed secret (its id, for the server only). */
export class InconsistentDealer extends SecAggError {
  constructor(
    readonly dealer: string,
    message: string,
  ) {
    super('share.tampered', message);
  }
}

/**
 * Rebuild one secret. `owner` is named by role and position ("survivor 3"), never by id: the reason reaches logs
 * and broadcasts.
 */
function rebuild(input: Omit<UnmaskInput, 'maskedSum' | 'applyMasks'>, ownerId: string, owner: string, kind: Kind, received: readonly ReceivedShare[] | undefined, check: (secret: Uint8Array) => boolean, forgers: Set<string>): Uint8Array {
  const { sodium, threshold: t } = input;
  const decoded: { from: ReceivedShare; share: Share }[] = [];
  const xs = new Set<number>();
  for (const r of received ?? []) {
    let share: Share;
    try {
      share = decodeShare(r.share, 32);
    } catch {
      forgers.add(r.holder); // the dealer signs only shares it encoded: an undecodable one was not dealt
      continue;
    }
    if (xs.has(share.x)) continue; // a repeated index: kept out of interpolation, judged below if it matters
    xs.add(share.x);
    decoded.push({ from: r, share });
  }
  const attempt = (shares: readonly { share: Share }[]) => {
    const secret = interpolateSecret(shares.slice(0, t).map((s) => s.share), 32);
    return secret !== null && check(secret) ? secret : undefined;
  };
  if (decoded.length >= t) {
    const fast = attempt(decoded);
    if (fast) return fast;
  }
  // Slow path: check every signature, set forged shares aside, and rebuild from signed ones only.
  const dealerKey = sodium.from_base64(ownerId, sodium.base64_variants.URLSAFE_NO_PADDING);
  const signed: { share: Share }[] = [];
  const signedXs = new Set<number>();
  for (const r of received ?? []) {
    const digest = shareDigest(sodium, r.share);
    const payload = kind === 'selfSeed' ? sharePayload(input.binding, ownerId, r.holder, digest, r.other) : sharePayload(input.binding, ownerId, r.holder, r.other, digest);
    if (!verify(sodium, dealerKey, payload, r.signature)) {
      forgers.add(r.holder);
      continue;
    }
    const share = decodeShare(r.share, 32);
    if (signedXs.has(share.x)) continue;
    signedXs.add(share.x);
    signed.push({ share });
  }
  if (signed.length < t) throw new SecAggError('share.too_few', `${signed.length} valid shares for ${owner}, fewer than t = ${t}: the round cannot be unmasked`);
  const slow = attempt(signed);
  if (slow) return slow;
  throw new InconsistentDealer(ownerId, `${owner} dealt shares, signed, that do not rebuild its committed secret: it dealt inconsistently, and the round cannot be unmasked`);
}

/** The masks left in the survivors' sum, each with the sign that removes it; throws when a secret cannot be rebuilt. */
export function planUnmask(input: Omit<UnmaskInput, 'maskedSum' | 'applyMasks'>): MaskPlan {
  const { sodium } = input;
  const terms: MaskTerm[] = [];
  const forgers = new Set<string>();
  for (const [position, u] of input.survivors.entries()) {
    const ad = input.advertised.get(u)!;
    const seed = rebuild(input, u, `survivor ${position}`, 'selfSeed', input.selfSeedShares.get(u), (s) => sodium.memcmp(seedCommitment(sodium, s), ad.seedCommitment), forgers);
    terms.push({ seed, sign: -1 });
  }
  const survivors = new Set(input.survivors);
  const paired = input.paired ?? (() => true);
  for (const [position, v] of input.dropped.entries()) {
    // Only the survivors that masked with v carry a mask to remove; none (every pair cut) means nothing to rebuild.
    const partners = (input.graph.get(v) ?? []).filter((u) => survivors.has(u) && paired(u, v));
    if (partners.length === 0) continue;
    const ad = input.advertised.get(v)!;
    // Verified against the advertised key here, so each agreement below need not check the pair again.
    const privateKey = rebuild(input, v, `dropped device ${position}`, 'maskKey', input.maskKeyShares.get(v), (k) => sodium.memcmp(sodium.crypto_scalarmult_base(k), ad.maskKey), forgers);
    const keys = { publicKey: ad.maskKey, privateKey };
    for (const u of partners) {
      const seed = agreeKey(sodium, keys, input.advertised.get(u)!.maskKey, KEY_CONTEXT.maskSeed, { pairChecked: true });
      terms.push({ seed, sign: maskSign(u, v) === 1 ? -1 : 1 }); // u added maskSign(u, v)·PRG(s_uv)
    }
  }
  return { terms, forgers: [...forgers] };
}

/** Rebuild the secrets and return the exact sum of the survivors' inputs (mod 2^32) and the forgers set aside. */
export function unmaskSum(input: UnmaskInput): { sum: Uint32Array; forgers: string[] } {
  const sum = Uint32Array.from(input.maskedSum);
  const plan = planUnmask(input);
  if (input.applyMasks) input.applyMasks(sum, plan.terms);
  else applyMasks(input.sodium, sum, plan.terms);
  return { sum, forgers: plan.forgers };
}

// The server's last step: rebuild survivors' self seeds and dropped devices' mask keys, and strip every mask from the sum.
//
// Σ_{u∈S} y_u = Σ x_u + Σ_{u∈S} PRG(b_u) + Σ_{u∈S, v∈D∩N(u)} ±PRG(s_uv): pairwise masks between two survivors cancel,
// so only the self masks of survivors S and the pairwise masks towards dropped devices D remain to remove.
import { agreeKey, KEY_CONTEXT } from './keys';
import { applyMasks, type MaskApplier, type MaskTerm } from './masking';
import { combineVerified, decodeShare, type Share } from './shamir';
import { SecAggError } from './errors';
import type { Sodium } from './sodium';
import { maskSign, seedCommitment, type Advertisement } from './transcript';

/** What the server holds at the end of a round. */
export interface UnmaskInput {
  sodium: Sodium;
  threshold: number;
  advertised: ReadonlyMap<string, Advertisement>;
  graph: ReadonlyMap<string, readonly string[]>;
  survivors: readonly string[];
  dropped: readonly string[];
  /** Σ of the survivors' masked vectors (mod 2^32). */
  maskedSum: Uint32Array;
  /** Revealed shares by owner: encoded shares as received. */
  selfSeedShares: ReadonlyMap<string, readonly Uint8Array[]>;
  maskKeyShares: ReadonlyMap<string, readonly Uint8Array[]>;
  /** A faster way to the same result (the server's parallel node:crypto ChaCha20); default libsodium, one term at a time. */
  applyMasks?: MaskApplier;
}

/** `owner` names the device by role and position ("survivor 3"), never by id: the reason reaches logs and broadcasts. */
function decodeAll(owner: string, encoded: readonly Uint8Array[] | undefined, threshold: number): Share[] {
  const shares: Share[] = [];
  const xs = new Set<number>();
  for (const bytes of encoded ?? []) {
    const s = decodeShare(bytes, 32);
    if (xs.has(s.x)) continue; // a repeated holder index adds nothing
    xs.add(s.x);
    shares.push(s);
  }
  if (shares.length < threshold) throw new SecAggError('share.too_few', `${shares.length} shares for ${owner}, fewer than t = ${threshold}: the round cannot be unmasked`);
  return shares;
}

/** Rebuild the secrets and return the exact sum of the survivors' inputs (mod 2^32); throws when a secret cannot be rebuilt. */
export function unmaskSum(input: UnmaskInput): Uint32Array {
  const sum = Uint32Array.from(input.maskedSum);
  const terms = maskTerms(input);
  if (input.applyMasks) input.applyMasks(sum, terms);
  else applyMasks(input.sodium, sum, terms);
  return sum;
}

/** The masks left in the survivors' sum, each with the sign that removes it; throws when a secret cannot be rebuilt. */
export function maskTerms(input: Omit<UnmaskInput, 'maskedSum' | 'applyMasks'>): MaskTerm[] {
  const { sodium, threshold } = input;
  const terms: MaskTerm[] = [];
  for (const [position, u] of input.survivors.entries()) {
    const ad = input.advertised.get(u)!;
    // A share that does not rebuild the committed seed is tampered with: try other t-subsets.
    const seed = combineVerified(decodeAll(`survivor ${position}`, input.selfSeedShares.get(u), threshold), threshold, 32, (s) => sodium.memcmp(seedCommitment(sodium, s), ad.seedCommitment));
    terms.push({ seed, sign: -1 });
  }
  const survivors = new Set(input.survivors);
  for (const [position, v] of input.dropped.entries()) {
    const ad = input.advertised.get(v)!;
    // Verified against the advertised key here, so each agreement below need not check the pair again.
    const privateKey = combineVerified(decodeAll(`dropped device ${position}`, input.maskKeyShares.get(v), threshold), threshold, 32, (k) => sodium.memcmp(sodium.crypto_scalarmult_base(k), ad.maskKey));
    const keys = { publicKey: ad.maskKey, privateKey };
    for (const u of input.graph.get(v) ?? []) {
      if (!survivors.has(u)) continue;
      const seed = agreeKey(sodium, keys, input.advertised.get(u)!.maskKey, KEY_CONTEXT.maskSeed, { pairChecked: true });
      terms.push({ seed, sign: maskSign(u, v) === 1 ? -1 : 1 }); // u added maskSign(u, v)·PRG(s_uv)
    }
  }
  return terms;
}

// Builders for protocol tests: device identities, participants with given fixed-point inputs, round options.
import _sodium from 'libsodium-wrappers';
import { createParticipant, type Participant } from '../../client/rounds/participant';
import { generateSigningKeyPair, type SigningKeyPair } from '../../shared/secagg/sign';
import type { Sodium } from '../../shared/secagg/sodium';
import type { RoundConfig } from '../../shared/protocol/messages';
import type { SecureRoundOptions } from '../../server/rounds/secure-round';

/** libsodium, ready. */
export async function readySodium(): Promise<Sodium> {
  await _sodium.ready;
  return _sodium;
}

/** n device identities with their ids (base64url public keys), sorted by id. */
export function identities(sodium: Sodium, n: number): { id: string; identity: SigningKeyPair }[] {
  return Array.from({ length: n }, () => {
    const identity = generateSigningKeyPair(sodium);
    return { id: sodium.to_base64(identity.publicKey, sodium.base64_variants.URLSAFE_NO_PADDING), identity };
  }).sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** Participants whose input is the given fixed-point vector (bypassing clipping and encoding). */
export function fixedInputParticipants(sodium: Sodium, devices: { id: string; identity: SigningKeyPair }[], inputs: ReadonlyMap<string, Uint32Array>): Map<string, Participant> {
  return new Map(
    devices.map((d) => [
      d.id,
      createParticipant({
        sodium,
        identity: d.identity,
        computeUpdate: () => Promise.reject(new Error('not used')),
        computeFixedPointInput: async () => inputs.get(d.id)!,
      }),
    ]),
  );
}

/** Round options for a cohort with the given threshold and graph. */
export function roundOptions(sodium: Sodium, cohort: string[], config: Partial<RoundConfig> & { threshold: number; vectorLength: number }, round = 1): SecureRoundOptions {
  return {
    sodium,
    binding: { sessionId: sodium.to_base64(sodium.crypto_generichash(16, `session-${round}-${cohort.join()}`, null), sodium.base64_variants.URLSAFE_NO_PADDING), round, modelHash: sodium.crypto_generichash(32, 'model', null) },
    shard: 0,
    modelVersion: 0,
    cohort,
    config: {
      graph: { kind: 'complete' },
      clipNorm: 1,
      scale: 1,
      localEpochs: 1,
      localLearningRate: 1,
      deviceNoiseStd: 0,
      clipFlagIndex: -1,
      stageTimeoutMs: 1000,
      ...config,
    },
  };
}

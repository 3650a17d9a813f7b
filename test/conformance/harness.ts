// Builders for protocol tests: device identities, participants with given fixed-point inputs, round options.
import _sodium from 'libsodium-wrappers';
import { createParticipant, type DeviceFloors, type Participant } from '../../client/rounds/participant';
import { memorySpentModels } from '../../client/rounds/spent-models';
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

/** Safety settings for the integration tests' tiny cohorts (3–8 devices): no Sybils assumed, no dropout planned for. */
export const NO_SYBILS = Object.freeze({ corruptFraction: 0, expectedDropout: 0 });

/** Floors for the protocol tests' tiny cohorts: they assume no Sybils (γ = 0) and accept a cohort of 2. */
export const TEST_FLOORS: Partial<DeviceFloors> = { corruptFraction: 0, minCohort: 2 };

/** Participants whose input is the given fixed-point vector (bypassing clipping and encoding). */
export function fixedInputParticipants(sodium: Sodium, devices: { id: string; identity: SigningKeyPair }[], inputs: ReadonlyMap<string, Uint32Array>, floors: Partial<DeviceFloors> = TEST_FLOORS): Map<string, Participant> {
  return new Map(
    devices.map((d) => [
      d.id,
      createParticipant({
        sodium,
        identity: d.identity,
        floors,
        spent: memorySpentModels(),
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
      corruptFraction: 0,
      localEpochs: 1,
      localLearningRate: 1,
      deviceNoiseStd: 0,
      clipFlagIndex: -1,
      stageTimeoutMs: 1000,
      ...config,
    },
  };
}

// The model card as data (GET /v1/transparency) and the server's public keys (GET /v1/keys).
import { Router } from 'express';
import { keysResponseSchema, transparencyResponseSchema, type PublicKey, type TransparencyResponse } from '../../shared/protocol/http';
import { keyFingerprint, keyId } from '../../shared/protocol/key-id';
import { toBase64Url } from '../../shared/protocol/encoding';
import type { PrivacySettings } from '../../shared/dp/mechanism';
import type { Store } from '../store/store';
import type { ServedModelCache } from '../serving/served-model';
import { accountEpsilon } from '../training/privacy-account';
import { HttpProblem } from './problems';
import { sendJson } from './respond';

/** The deployment's settings as the model card states them. */
export interface DeploymentFacts {
  samplingRate: number;
  clipNorm: number;
  graph: 'complete' | 'sparse';
  minCohort: number;
  /** The adversary the secure aggregation is sized for (absent: not stated). */
  safety?: { corruptFraction: number; expectedDropout: number };
  serverLearningRate: number;
  averaging: number;
  privacy: PrivacySettings;
  /** Simulated demo devices started beside the server (npm start's demo fleet), if any. */
  demoDevices?: number;
}

/** How many versions the card lists. */
const VERSIONS_SHOWN = 50;

/** A public key as GET /v1/keys lists it. */
export function describeKey(publicKey: Uint8Array, createdAt: number, use: PublicKey['use'] = ['receipts'], status: PublicKey['status'] = 'active'): PublicKey {
  return { id: keyId(publicKey), algorithm: 'Ed25519', publicKey: toBase64Url(publicKey), fingerprint: keyFingerprint(publicKey), use, status, createdAt };
}

/** Every key the server publishes: the receipt keys (active first, then retired: old receipts must still verify) and the device-authentication key. */
async function publishedKeys(store: Store, identityKey: PublicKey): Promise<PublicKey[]> {
  const receipts = (await store.listReceiptKeys()).map((k) => describeKey(k.publicKey, k.createdAt, ['receipts'], k.retiredAt === null ? 'active' : 'retired'));
  return [...receipts, identityKey];
}

/** GET /transparency and /keys (mounted under /v1). */
export function transparencyRoutes(o: { store: Store; served: ServedModelCache; facts: DeploymentFacts; serverKey: PublicKey }): Router {
  const router = Router();
  const { facts } = o;
  const dp = facts.privacy.mode !== 'off';

  router.get('/keys', async (_req, res) => {
    sendJson(res, keysResponseSchema, { keys: await publishedKeys(o.store, o.serverKey) }, 'no-cache');
  });

  router.get('/transparency', async (_req, res) => {
    const served = await o.served.current();
    const latest = await o.store.latestModelInfo();
    if (!served || !latest) throw new HttpProblem('model.unavailable', 'no model has been published yet', { 'Retry-After': '30' });
    const [shards, counts, versions, chain, pending, keys] = await Promise.all([o.store.listShards(), o.store.countRounds(), o.store.listModelVersions(VERSIONS_SHOWN), o.store.receiptChain(), o.store.pendingDeletions(), publishedKeys(o.store, o.serverKey)]);
    const { items, dim } = served.tables.shards[0]!;
    const S = served.tables.shards.length;
    const card: TransparencyResponse = {
      model: {
        kind: 'implicit-feedback matrix factorisation',
        description: `Every item of the catalogue has a vector of ${dim} numbers and a bias, learned from what people did with items. Who you are is never part of the model: your own vector is worked out on your device from your own history, whenever it is needed.${S > 1 ? ` The model is ${S} independent parts (shards), each trained by its own group of devices, so that one person can be forgotten by retraining one part.` : ''}`,
        howScoresWork: 'An item\'s score for you is its bias plus one share per item in your history. Each share is exactly what that history item adds (or takes away), so the reasons shown beside a recommendation add up to its score.',
        version: latest.version,
        sha256: latest.sha256,
        createdAt: latest.createdAt,
        items,
        dim,
        shards: S,
      },
      training: {
        description: `In each round, devices that allow training are sampled with probability ${facts.samplingRate}; each one trains on its own data, clips its update to length ${facts.clipNorm}, and sends it masked so that the server can read only the sum of the round (secure aggregation)${facts.safety ? `, even if the server controlled ${Math.round(100 * facts.safety.corruptFraction)}% of a round's devices; each device checks that for itself` : ''}. The served model is an average of recent rounds.`,
        samplingRate: facts.samplingRate,
        clipNorm: facts.clipNorm,
        secureAggregation: facts.graph === 'complete' ? 'Bonawitz et al. 2017, every device paired with every other' : 'SecAgg+ (Bell et al. 2020), each device paired with a random neighbourhood',
        serverLearningRate: facts.serverLearningRate,
        averaging: facts.averaging,
        minCohort: facts.minCohort,
        ...(facts.safety && { corruptFraction: facts.safety.corruptFraction, expectedDropout: facts.safety.expectedDropout }),
      },
      privacy: {
        description: dp
          ? `Differential privacy (${facts.privacy.mode} noise): whatever one person did changes the chance of any model by at most a factor e^ε (except with probability δ = ${facts.privacy.delta}). ε is counted per shard by a Rényi-DP accountant over every round run, and never goes down, not even when a shard is rolled back. Training stops before any shard would pass ε = ${facts.privacy.epsilonBudget}.`
          : 'Updates are only ever seen summed over a round (secure aggregation), but no differential-privacy noise is added: ε is unbounded.',
        mode: facts.privacy.mode,
        noiseMultiplier: dp ? facts.privacy.noiseMultiplier : null,
        delta: dp ? facts.privacy.delta : null,
        epsilonBudget: dp ? facts.privacy.epsilonBudget : null,
        shards: shards.map((s) => ({ shard: s.shard, epsilon: accountEpsilon(s.account, facts.privacy.delta), rounds: counts[s.shard]?.completed ?? 0 })),
      },
      rounds: { completed: counts.reduce((a, c) => a + c.completed, 0), aborted: counts.reduce((a, c) => a + c.aborted, 0) },
      versions: versions.map((v) => ({
        version: v.version,
        createdAt: v.createdAt,
        sha256: v.sha256,
        cause: v.provenance.cause,
        shard: v.provenance.shard,
        round: v.provenance.round,
        cohortSize: v.provenance.cohortSize,
        survivors: v.provenance.survivors,
        clippedUpdates: v.provenance.valuesClipped,
        epsilon: v.provenance.epsilon,
      })),
      deletions: { honoured: chain.length, pending: pending.length },
      demo: facts.demoDevices
        ? { devices: facts.demoDevices, note: `This deployment runs ${facts.demoDevices} simulated demo devices (one per MovieLens user, running the real device code) beside the server: rounds include their updates, so the model reflects MovieLens ratings, not only real shoppers.` }
        : null,
      receiptKey: keys.find((k) => k.use.includes('receipts') && k.status === 'active') ?? o.serverKey,
    };
    sendJson(res, transparencyResponseSchema, card, 'no-cache');
  });

  return router;
}

// The deletion service: a signed request in, a signed receipt out, with the device excluded, its shard rolled back
// to a checkpoint from before its first contribution, that model served, and everything about it erased.
//
// Order of durable steps (each a store transaction): (1) the request is recorded and the device excluded — from
// then on it takes part in no round and cannot connect; (2) rollback, new version, erasure and receipt together.
// A crash after (1) leaves a pending deletion that start-up finishes; nothing is acknowledged before (2) commits.
import { randomBytes } from 'node:crypto';
import { checkReceipt, DELETION_WINDOW_MS, deletionPayload, deviceKeyHash, signReceipt, type DeletionRequest, type Receipt } from '../../shared/protocol/deletion';
import { toBase64Url } from '../../shared/protocol/encoding';
import { ProtocolError } from '../../shared/protocol/errors';
import { generateSigningKeyPair, sign, verify } from '../../shared/secagg/sign';
import type { Sodium } from '../../shared/secagg/sodium';
import type { DeletionRecord, ReceiptContext, Store } from '../store/store';
import { planRollback } from './rollback';
import { rollbackTarget } from '../training/checkpoint-policy';
import { accountEpsilon } from '../training/privacy-account';
import { shardOf } from '../training/sharding';
import type { ShardView } from '../training/shard-state';

/** How soon a deletion that could not complete is tried again. */
const RETRY_MS = 5_000;

/** What the service needs of the coordinator. */
export interface RoundControl {
  /** Stop the device training (close its connection) and pause its shard until `resume`; resolves once no round runs there. */
  exclude(deviceId: string | undefined, shard: number): Promise<void>;
  resume(shard: number): Promise<void>;
  shards(): Promise<readonly ShardView[]>;
}

/** Options of the service. */
export interface DeletionServiceOptions {
  store: Store;
  control: RoundControl;
  sodium: Sodium;
  /** δ of the deployment's DP guarantee (for the ε in receipts), or null when DP is off. */
  delta: number | null;
  now?: () => number;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/** A deletion's answer: 200 with the receipt when done, 202 while pending. */
export interface DeletionAnswer {
  status: 200 | 202;
  deletion: DeletionRecord;
}

/** The service. */
export interface DeletionService {
  /** Handle a parsed request: verify, record, and complete it (or return the state of one already known). */
  request(request: DeletionRequest): Promise<DeletionAnswer>;
  /** Finish every deletion recorded but not completed (start-up after a crash); returns how many. */
  finishPending(): Promise<number>;
}

/** Create the deletion service. */
export function createDeletionService(o: DeletionServiceOptions): DeletionService {
  const now = o.now ?? Date.now;
  const log = o.log ?? (() => {});
  // Deletions run one at a time: each may roll a shard back and publish a version, and they must not interleave.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => {});
    return next;
  };

  const complete = async (deletion: DeletionRecord, deviceId: string | undefined): Promise<DeletionRecord> => {
    const { shard } = deletion;
    const started = now();
    await o.control.exclude(deviceId, shard);
    log('deletion.excluded', { shard });
    try {
      const first = await o.store.deletionFirstContribution(deletion.id);
      const views = await o.control.shards();
      const rollback = first === undefined ? null : await planRollback(o.store, views, shard, rollbackTarget(await o.store.listCheckpoints(shard), first).step, o.delta);
      const key = await o.store.receiptKey(() => generateSigningKeyPair(o.sodium), now());
      const account = (await o.store.listShards())[shard]!.account;
      const completedAt = now();
      const makeReceipt = (ctx: ReceiptContext): Receipt =>
        signReceipt(
          {
            format: 'confidant-receipt',
            version: 1,
            index: ctx.index,
            previousHash: ctx.previousHash,
            deviceKeyHash: deletion.keyHash,
            nonce: toBase64Url(deletion.nonce),
            requestedAt: deletion.requestedAt,
            completedAt,
            shard,
            checkpoint: { lineage: ctx.checkpoint.lineage, step: ctx.checkpoint.step, sha256: ctx.checkpoint.trainingSha256 },
            servedVersion: ctx.servedVersion,
            epsilon: o.delta === null ? null : accountEpsilon(account, o.delta),
            delta: o.delta,
            keyId: key.id,
          },
          (message) => sign(o.sodium, key.privateKey, message),
        );
      log('deletion.committing', { shard, rollback: rollback !== null });
      const done = await o.store.completeDeletion({ deletionId: deletion.id, completedAt, rollback, makeReceipt });
      // A receipt the server cannot verify itself must never leave it.
      const checked = checkReceipt(JSON.parse(JSON.stringify(done.receipt)), key.publicKey, (pk, m, sig) => verify(o.sodium, pk, m, sig));
      if (!checked.ok) throw new Error(`the receipt does not verify: ${checked.problem.field}: ${checked.problem.message}`);
      log('deletion.completed', { shard, rolledBackTo: rollback?.toStep ?? null, modelVersion: done.receipt!.servedVersion.version, ms: now() - started });
      return done;
    } finally {
      await o.control.resume(shard);
    }
  };

  let retry: ReturnType<typeof setTimeout> | undefined;
  /** Complete a deletion now; if that fails it stays recorded (pending) and is retried shortly, never lost. */
  const attempt = async (deletion: DeletionRecord, deviceId: string | undefined): Promise<DeletionAnswer> => {
    try {
      return { status: 200, deletion: await serially(async () => {
        const current = (await o.store.getDeletion(deletion.id))!;
        return current.status === 'done' ? current : complete(current, deviceId);
      }) };
    } catch (err) {
      log('deletion.deferred', { reason: (err as Error).message.slice(0, 200) });
      retry ??= setTimeout(() => {
        retry = undefined;
        void service.finishPending().catch((e: unknown) => log('deletion.deferred', { reason: (e as Error).message.slice(0, 200) }));
      }, RETRY_MS);
      retry.unref?.();
      return { status: 202, deletion: (await o.store.getDeletion(deletion.id)) ?? deletion };
    }
  };

  const service: DeletionService = {
    async request(r) {
      const deviceKey = Buffer.from(r.deviceId, 'base64url'); // the schema checked it is a canonical 32-byte key
      if (!verify(o.sodium, deviceKey, deletionPayload(deviceKey, r.nonce, r.timestamp), r.signature)) {
        throw new ProtocolError('auth.bad_signature', 'the signature does not verify for this key, nonce and timestamp', ['signature']);
      }
      const keyHash = deviceKeyHash(deviceKey);
      const known = await o.store.findDeletions(keyHash);
      const same = known.find((d) => Buffer.from(d.nonce).equals(Buffer.from(r.nonce)));
      const done = known.find((d) => d.status === 'done');
      const existing = same ?? done;
      if (existing) {
        if (existing.status === 'done') return { status: 200, deletion: existing };
        // Pending and asked again: finish it now (it may be left over from before a restart).
        return attempt(existing, r.deviceId);
      }
      const receivedAt = now();
      if (Math.abs(receivedAt - r.timestamp) > DELETION_WINDOW_MS) {
        throw new ProtocolError('auth.replayed', `the request's timestamp is more than ${DELETION_WINDOW_MS / 60_000} minutes from the server's clock: sign a fresh request`, ['timestamp']);
      }
      const shard = shardOf(r.deviceId, Math.max(1, (await o.store.listShards()).length));
      let recorded;
      try {
        recorded = await o.store.requestDeletion({ id: toBase64Url(randomBytes(16)), deviceId: r.deviceId, keyHash, nonce: r.nonce, requestedAt: r.timestamp, receivedAt, shard });
      } catch (err) {
        if ((err as { code?: string }).code === 'store.not_found') throw new ProtocolError('auth.unknown_device', 'no device is registered with that key');
        throw err;
      }
      if (recorded.deletion.status === 'done') return { status: 200, deletion: recorded.deletion };
      log('deletion.recorded', { shard });
      return attempt(recorded.deletion, r.deviceId);
    },
    async finishPending() {
      const pending = await o.store.pendingDeletions();
      for (const d of pending) await serially(async () => ((await o.store.getDeletion(d.id))!.status === 'done' ? undefined : complete(d, undefined)));
      return pending.length;
    },
  };
  return service;
}

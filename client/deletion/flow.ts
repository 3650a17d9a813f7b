// The whole "Delete my data" flow on a device store: send (or resume) the request, report its status until the
// receipt comes, verify it, and only then wipe everything but the receipt. A device that never contributed has
// nothing on the server: it wipes at once, with no receipt to wait for.
import type { Sodium } from '../../shared/secagg/sodium';
import type { SigningKeyPair } from '../../shared/secagg/sign';
import type { ReceiptProblem, Receipt } from '../../shared/protocol/deletion';
import type { Api } from '../core/api';
import type { DeviceStore } from '../store/store';
import { deletionStatus, receiptKey, sendDeletion, verifyReceipt, type PendingDeletion } from './deletion';

/** What the page shows while it runs and when it ends. */
export type DeletionState =
  | { phase: 'sending' }
  | { phase: 'pending'; id: string }
  | { phase: 'verifying' }
  | { phase: 'deleted'; receipt: Receipt; keyId: string }
  | { phase: 'not-verified'; problem: ReceiptProblem }
  | { phase: 'deleted-locally' };

/** Options of a run. */
export interface DeletionFlowOptions {
  api: Api;
  store: DeviceStore;
  sodium: Sodium;
  /** The key to delete: this device's, or one rebuilt from a recovery code; none if the device never contributed. */
  identity: SigningKeyPair | undefined;
  now: () => number;
  /** Pause between status requests (the app waits a second; tests step it). */
  wait: (ms: number) => Promise<void>;
  onState(state: DeletionState): void;
  pollMs?: number;
}

/** Follow a sent request to its end: status until done, verify, then wipe (or report why not). */
export async function followDeletion(o: DeletionFlowOptions, pending: PendingDeletion, first?: Awaited<ReturnType<typeof deletionStatus>>): Promise<DeletionState> {
  let status = first ?? (await deletionStatus(o.api, pending));
  while (status.status === 'pending') {
    o.onState({ phase: 'pending', id: pending.id });
    await o.wait(o.pollMs ?? 1000);
    status = await deletionStatus(o.api, pending);
  }
  o.onState({ phase: 'verifying' });
  const raw = status.receipt;
  const key = raw ? await receiptKey(o.api, raw.keyId) : undefined;
  const check = raw ? verifyReceipt(o.sodium, raw, key, pending) : { verified: false as const, keyId: '', problem: { field: 'receipt', message: 'the server said done but sent no receipt' } };
  if (!check.verified) {
    const state: DeletionState = { phase: 'not-verified', problem: check.problem };
    o.onState(state);
    return state;
  }
  // Verified: keep the receipt (the proof), then erase the rest.
  await o.store.addReceipt({ receivedAt: o.now(), receipt: check.receipt, verifiedWith: check.keyId, verified: true });
  await o.store.wipeExceptReceipts();
  const state: DeletionState = { phase: 'deleted', receipt: check.receipt, keyId: check.keyId };
  o.onState(state);
  return state;
}

/** Run "Delete my data" from the start. */
export async function deleteMyData(o: DeletionFlowOptions): Promise<DeletionState> {
  if (!o.identity) {
    await o.store.wipeExceptReceipts();
    const state: DeletionState = { phase: 'deleted-locally' };
    o.onState(state);
    return state;
  }
  o.onState({ phase: 'sending' });
  const { pending, response } = await sendDeletion(o.api, o.sodium, o.identity, o.now());
  // Remembered so that a reload resumes following the request rather than forgetting it.
  await o.store.setSetting('pendingDeletion', pending);
  return followDeletion(o, pending, response);
}

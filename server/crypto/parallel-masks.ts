// Unmasking on every core: the masks to strip from a round's sum are split by word range across worker
// threads (server/crypto/mask-worker.mjs), each seeking to its part of every ChaCha20 stream.
//
// The applier keeps the MaskApplier contract (synchronous, exact): the calling thread hands out the
// ranges and waits on a shared counter, so the round state machine needs no asynchronous step. It is
// the same result as applyMasks with libsodium, word for word (tested).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { MaskApplier, MaskTerm } from '../../shared/secagg/masking';
import { applyMasks } from '../../shared/secagg/masking';
import type { Sodium } from '../../shared/secagg/sodium';
import { nodeChachaMask } from './chacha-mask';

/** Below this much work (terms × words) threads cost more than they save. */
const PARALLEL_MIN_WORK = 1 << 22;
/** A job that takes longer than this is taken as a lost worker: the round fails rather than hangs. */
const JOB_TIMEOUT_MS = 120_000;

/** A MaskApplier backed by worker threads, to be closed when the server stops. */
export interface ParallelMaskApplier {
  apply: MaskApplier;
  readonly threads: number;
  close(): Promise<void>;
}

/** Word ranges [start, end) that cover `length`, one per part, each starting on a 16-word ChaCha20 block. */
export function blockAlignedRanges(length: number, parts: number): { start: number; end: number }[] {
  const blocks = Math.ceil(length / 16);
  const ranges: { start: number; end: number }[] = [];
  for (let p = 0; p < parts; p++) {
    const start = Math.min(length, 16 * Math.floor((blocks * p) / parts));
    const end = Math.min(length, 16 * Math.floor((blocks * (p + 1)) / parts));
    if (end > start) ranges.push({ start, end });
  }
  return ranges;
}

/** Start `threads` workers (default: one per core) now, so the first round does not pay their start-up. */
export function createParallelMaskApplier(sodium: Sodium, options: { threads?: number } = {}): ParallelMaskApplier {
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new RangeError(`threads must be an integer in 1..256, got ${threads}`);
  let workers: Worker[] | undefined;
  const start = (): Worker[] => {
    workers ??= Array.from({ length: threads }, () => {
      const w = new Worker(new URL('./mask-worker.mjs', import.meta.url), { execArgv: [] });
      w.unref(); // idle workers never keep the process alive
      return w;
    });
    return workers;
  };

  const reset = (): void => {
    for (const w of workers ?? []) void w.terminate();
    workers = undefined;
  };

  const apply: MaskApplier = (acc: Uint32Array, terms: readonly MaskTerm[]) => {
    if (terms.length === 0) return;
    if (threads === 1 || terms.length * acc.length < PARALLEL_MIN_WORK) {
      applyMasks(sodium, acc, terms, nodeChachaMask);
      return;
    }
    const shared = new SharedArrayBuffer(acc.byteLength);
    new Uint32Array(shared).set(acc);
    const seeds = new Uint8Array(32 * terms.length);
    const signs = new Int8Array(terms.length);
    terms.forEach((t, j) => {
      if (t.seed.length !== 32) throw new RangeError(`mask seed must be 32 bytes, got ${t.seed.length}`);
      seeds.set(t.seed, 32 * j);
      signs[j] = t.sign;
    });
    const status = new Int32Array(new SharedArrayBuffer(8));
    const ranges = blockAlignedRanges(acc.length, threads);
    const pool = start();
    ranges.forEach((r, p) => pool[p]!.postMessage({ acc: shared, status: status.buffer, start: r.start, end: r.end, seeds, signs }));
    const deadline = Date.now() + JOB_TIMEOUT_MS;
    for (let done = Atomics.load(status, 0); done < ranges.length; done = Atomics.load(status, 0)) {
      if (Date.now() >= deadline) {
        reset(); // a lost worker is replaced on the next job
        throw new Error(`unmasking workers did not finish within ${JOB_TIMEOUT_MS / 1000} s`);
      }
      Atomics.wait(status, 0, done, Math.max(1, deadline - Date.now()));
    }
    if (Atomics.load(status, 1) !== 0) throw new Error('an unmasking worker failed');
    acc.set(new Uint32Array(shared));
  };

  if (threads > 1) start();
  return {
    apply,
    threads,
    async close() {
      const all = workers ?? [];
      workers = undefined;
      await Promise.all(all.map((w) => w.terminate()));
    },
  };
}

// @ts-check
// A worker of the parallel mask applier (parallel-masks.ts): adds ±PRG(seed) for every term over one
// range of words of a shared vector. Plain JavaScript so that it loads the same under tsx, vitest and node.
//
// PRG(seed) is ChaCha20 keyed by the seed with nonce "LibsodiumDRG" (libsodium's
// randombytes_buf_deterministic); a range starting at word w starts at block w/16, so each worker
// seeks straight to its part of every stream. The range is walked in chunks that stay in cache,
// with one cipher per term kept open across chunks.
import { Buffer } from 'node:buffer';
import { createCipheriv } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

const NONCE = Buffer.from('LibsodiumDRG', 'ascii');
const CHUNK_WORDS = 4096;

/**
 * @param {{ acc: SharedArrayBuffer, start: number, end: number, seeds: Uint8Array, signs: Int8Array }} job
 */
function applyRange(job) {
  const { start, end, seeds, signs } = job;
  if (start % 16 !== 0) throw new RangeError(`range start ${start} is not on a 16-word ChaCha20 block`);
  const iv = Buffer.alloc(16);
  iv.writeUInt32LE(start / 16, 0);
  NONCE.copy(iv, 4);
  const ciphers = [];
  for (let j = 0; j < signs.length; j++) ciphers.push(createCipheriv('chacha20', seeds.subarray(32 * j, 32 * j + 32), iv));
  const zeros = Buffer.alloc(4 * CHUNK_WORDS);
  for (let a = start; a < end; a += CHUNK_WORDS) {
    const n = Math.min(CHUNK_WORDS, end - a);
    const acc = new Int32Array(job.acc, 4 * a, n);
    const z = n === CHUNK_WORDS ? zeros : zeros.subarray(0, 4 * n);
    for (let j = 0; j < ciphers.length; j++) {
      const ks = ciphers[j].update(z);
      const m = ks.byteOffset % 4 === 0 ? new Int32Array(ks.buffer, ks.byteOffset, n) : new Int32Array(Uint8Array.from(ks).buffer);
      if (signs[j] === 1) for (let k = 0; k < n; k++) acc[k] = (acc[k] + m[k]) | 0;
      else for (let k = 0; k < n; k++) acc[k] = (acc[k] - m[k]) | 0;
    }
  }
}

// status[0] counts finished jobs; status[1] is set to 1 when a job failed (the caller reports it).
parentPort?.on('message', (/** @type {{ acc: SharedArrayBuffer, status: SharedArrayBuffer, start: number, end: number, seeds: Uint8Array, signs: Int8Array }} */ job) => {
  const status = new Int32Array(job.status);
  try {
    applyRange(job);
  } catch {
    Atomics.store(status, 1, 1);
  }
  Atomics.add(status, 0, 1);
  Atomics.notify(status, 0);
});

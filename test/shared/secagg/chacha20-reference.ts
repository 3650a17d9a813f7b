// A slow, obvious ChaCha20 written from RFC 8439 §2.1–§2.4, the reference both mask generators are tested against.
//
// Two state layouts (RFC 8439 §2.3): the IETF one our generators use — words 12 | 13–15 = 32-bit block counter |
// 96-bit nonce — and Bernstein's original 64-bit counter (words 12–13) | 64-bit nonce (words 14–15), kept only so a
// test can show which one the generators follow.

const CONSTANTS = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]; // "expand 32-byte k"

const rotl = (v: number, n: number): number => ((v << n) | (v >>> (32 - n))) >>> 0;

/** RFC 8439 §2.1: a += b; d ^= a; d <<<= 16; c += d; b ^= c; b <<<= 12; a += b; d ^= a; d <<<= 8; c += d; b ^= c; b <<<= 7. */
export function quarterRound(s: Uint32Array, a: number, b: number, c: number, d: number): void {
  s[a] = (s[a]! + s[b]!) >>> 0;
  s[d] = rotl(s[d]! ^ s[a]!, 16);
  s[c] = (s[c]! + s[d]!) >>> 0;
  s[b] = rotl(s[b]! ^ s[c]!, 12);
  s[a] = (s[a]! + s[b]!) >>> 0;
  s[d] = rotl(s[d]! ^ s[a]!, 8);
  s[c] = (s[c]! + s[d]!) >>> 0;
  s[b] = rotl(s[b]! ^ s[c]!, 7);
}

const littleEndianWords = (bytes: Uint8Array): number[] => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getUint32(4 * i, true));
};

/** RFC 8439 §2.3: 10 double rounds (column, then diagonal), add the input state; the 16 output words. */
export function blockWords(input: readonly number[]): Uint32Array {
  if (input.length !== 16) throw new RangeError('a ChaCha state has 16 words');
  const s = Uint32Array.from(input);
  for (let i = 0; i < 10; i++) {
    quarterRound(s, 0, 4, 8, 12);
    quarterRound(s, 1, 5, 9, 13);
    quarterRound(s, 2, 6, 10, 14);
    quarterRound(s, 3, 7, 11, 15);
    quarterRound(s, 0, 5, 10, 15);
    quarterRound(s, 1, 6, 11, 12);
    quarterRound(s, 2, 7, 8, 13);
    quarterRound(s, 3, 4, 9, 14);
  }
  for (let i = 0; i < 16; i++) s[i] = (s[i]! + input[i]!) >>> 0;
  return s;
}

/** The words serialized little-endian (RFC 8439 §2.3: "sequencing the words one-by-one in little-endian order"). */
export function serialize(words: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 * words.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < words.length; i++) view.setUint32(4 * i, words[i]!, true);
  return out;
}

/** The IETF state: constants ‖ key ‖ 32-bit counter ‖ 96-bit nonce. */
export function ietfState(key: Uint8Array, counter: number, nonce: Uint8Array): number[] {
  if (key.length !== 32 || nonce.length !== 12) throw new RangeError('IETF ChaCha20 takes a 32-byte key and a 12-byte nonce');
  if (!Number.isInteger(counter) || counter < 0 || counter > 0xffffffff) throw new RangeError('the IETF block counter is 32 bits');
  return [...CONSTANTS, ...littleEndianWords(key), counter, ...littleEndianWords(nonce)];
}

/** Bernstein's original state: constants ‖ key ‖ 64-bit counter ‖ 64-bit nonce. */
export function originalState(key: Uint8Array, counter: bigint, nonce: Uint8Array): number[] {
  if (key.length !== 32 || nonce.length !== 8) throw new RangeError('original ChaCha20 takes a 32-byte key and an 8-byte nonce');
  if (counter < 0n || counter >= 2n ** 64n) throw new RangeError('the original block counter is 64 bits');
  return [...CONSTANTS, ...littleEndianWords(key), Number(counter & 0xffffffffn), Number(counter >> 32n), ...littleEndianWords(nonce)];
}

/** `length` bytes of keystream from block `counter` on (RFC 8439 §2.4), in either layout. */
export function keystream(key: Uint8Array, nonce: Uint8Array, counter: number | bigint, length: number, layout: 'ietf' | 'original' = 'ietf'): Uint8Array {
  const out = new Uint8Array(length);
  for (let j = 0; 64 * j < length; j++) {
    const block = BigInt(counter) + BigInt(j);
    const state = layout === 'ietf' ? ietfState(key, Number(block), nonce) : originalState(key, block, nonce);
    out.set(serialize(blockWords(state)).subarray(0, Math.min(64, length - 64 * j)), 64 * j);
  }
  return out;
}

/** RFC 8439 §2.4.1 chacha20_encrypt: plaintext XOR the keystream from `counter`. */
export function encrypt(key: Uint8Array, nonce: Uint8Array, counter: number, plaintext: Uint8Array): Uint8Array {
  const stream = keystream(key, nonce, counter, plaintext.length);
  return plaintext.map((byte, i) => byte ^ stream[i]!);
}

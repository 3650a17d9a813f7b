// The reference ChaCha20 reproduces every RFC 8439 vector, and the vectors as typed agree with themselves.
import { describe, expect, it } from 'vitest';
import { BLOCKS, ENCRYPTIONS, ENCRYPTION_2_4_2, fromHex } from '../../vectors/rfc8439';
import { blockWords, encrypt, ietfState, keystream, quarterRound, serialize } from './chacha20-reference';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('the RFC 8439 vectors as typed', () => {
  it.each(BLOCKS)('$name: the serialized block is the printed state words, little-endian', (v) => {
    expect(v.stateAtEnd).toHaveLength(16);
    expect(hex(serialize(v.stateAtEnd))).toBe(v.keystream);
  });

  it.each(ENCRYPTIONS)('$name: ciphertext and plaintext have the same length', (v) => {
    expect(fromHex(v.ciphertext)).toHaveLength(v.plaintext.length);
  });

  it('§2.4.2: plaintext XOR the printed keystream is the printed ciphertext; the lengths are those of the RFC', () => {
    const stream = fromHex(ENCRYPTION_2_4_2.keystream!);
    expect(hex(ENCRYPTION_2_4_2.plaintext.map((b, i) => b ^ stream[i]!))).toBe(ENCRYPTION_2_4_2.ciphertext);
    expect(ENCRYPTIONS.map((v) => v.plaintext.length)).toEqual([114, 64, 375, 127]);
  });
});

describe('reference ChaCha20', () => {
  it('§2.1.1: the quarter round test vector', () => {
    const s = new Uint32Array(16);
    s.set([0x11111111, 0x01020304, 0x9b8d6f43, 0x01234567]);
    quarterRound(s, 0, 1, 2, 3);
    expect(Array.from(s.subarray(0, 4))).toEqual([0xea2a92f4, 0xcb1cf8ce, 0x4581472e, 0x5881c4bb]);
  });

  it('§2.2.1: QUARTERROUND(2, 7, 8, 13) on the sample state changes exactly those words, as printed', () => {
    const sample = [
      0x879531e0, 0xc5ecf37d, 0x516461b1, 0xc9a62f8a, 0x44c20ef3, 0x3390af7f, 0xd9fc690b, 0x2a5f714c,
      0x53372767, 0xb00a5631, 0x974c541a, 0x359e9963, 0x5c971061, 0x3d631689, 0x2098d9d6, 0x91dbd320,
    ];
    const s = Uint32Array.from(sample);
    quarterRound(s, 2, 7, 8, 13);
    const expected = [...sample];
    expected[2] = 0xbdb886dc;
    expected[7] = 0xcfacafd2;
    expected[8] = 0xe46bea80;
    expected[13] = 0xccc07c79;
    expect(Array.from(s)).toEqual(expected);
  });

  it('§2.3.2: the state as set up is constants ‖ key ‖ counter ‖ nonce (IETF layout)', () => {
    const v = BLOCKS[0]!;
    expect(ietfState(fromHex(v.key), v.counter, fromHex(v.nonce))).toEqual([
      0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, 0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c,
      0x13121110, 0x17161514, 0x1b1a1918, 0x1f1e1d1c, 0x00000001, 0x09000000, 0x4a000000, 0x00000000,
    ]);
  });

  it.each(BLOCKS)('$name: block function', (v) => {
    const words = blockWords(ietfState(fromHex(v.key), v.counter, fromHex(v.nonce)));
    expect(Array.from(words)).toEqual(v.stateAtEnd);
    expect(hex(keystream(fromHex(v.key), fromHex(v.nonce), v.counter, 64))).toBe(v.keystream);
  });

  it.each(ENCRYPTIONS)('$name: encryption', (v) => {
    expect(hex(encrypt(fromHex(v.key), fromHex(v.nonce), v.counter, v.plaintext))).toBe(v.ciphertext);
  });

  it('refuses a counter beyond 32 bits in the IETF layout (the stream would repeat, not continue)', () => {
    expect(() => ietfState(new Uint8Array(32), 2 ** 32, new Uint8Array(12))).toThrow(/32 bits/);
  });
});

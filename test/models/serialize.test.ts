// Model files round-trip exactly, and every kind of damage is refused with a clear ModelFormatError.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeModel, decodeModelHeader, encodeModel, ModelFormatError } from '../../models/serialize';
import type { MfModel } from '../../models/mf/model';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

function model(items: number, dim: number, fill: (n: number) => number): MfModel {
  return {
    params: { kind: 'implicit', lambda: 20, alpha: 10, valueScale: 5 },
    table: { items, dim, vectors: Float32Array.from({ length: items * dim }, (_, n) => fill(n)), biases: Float32Array.from({ length: items }, (_, n) => fill(n + 7)) },
  };
}

describe('model files', () => {
  it('round-trip bit-exactly (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 16 }), fc.float({ noNaN: true, min: Math.fround(-1e30), max: Math.fround(1e30) }), (items, dim, x) => {
        const m = model(items, dim, (n) => x * ((n % 7) - 3));
        const back = decodeModel(encodeModel(m));
        expect(back.params).toEqual(m.params);
        expect(Array.from(back.table.vectors)).toEqual(Array.from(m.table.vectors));
        expect(Array.from(back.table.biases)).toEqual(Array.from(m.table.biases));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps explicit-model parameters', () => {
    const m: MfModel = { params: { kind: 'explicit', lambda: 15, lambdaBias: 5, globalMean: 3.5 }, table: model(3, 2, (n) => n).table };
    expect(decodeModel(encodeModel(m)).params).toEqual(m.params);
  });

  const bytes = encodeModel(model(20, 4, (n) => Math.sin(n)));
  const { payloadOffset } = decodeModelHeader(bytes);

  it.each([
    ['empty file', new Uint8Array(0), /truncated/],
    ['wrong magic', Uint8Array.from(bytes, (b, n) => (n === 0 ? 0x41 : b)), /magic/],
    ['truncated header', bytes.subarray(0, payloadOffset - 5), /truncated inside its header/],
    ['truncated payload', bytes.subarray(0, bytes.length - 4), /truncated/],
    ['trailing bytes', Uint8Array.from([...bytes, 0]), /trailing bytes/],
    ['flipped payload bit', Uint8Array.from(bytes, (b, n) => (n === bytes.length - 9 ? b ^ 1 : b)), /checksum/],
  ])('refuses %s', (_name, damaged, message) => {
    expect(() => decodeModel(damaged)).toThrow(ModelFormatError);
    expect(() => decodeModel(damaged)).toThrow(message);
  });

  it('refuses a header of another version or with unknown fields', () => {
    const text = new TextDecoder().decode(bytes.subarray(12, payloadOffset));
    for (const edit of [text.replace('"version":1', '"version":2'), text.replace('"dtype"', '"extra":1,"dtype"')]) {
      const json = new TextEncoder().encode(edit);
      const out = new Uint8Array(12 + json.length + (bytes.length - payloadOffset));
      out.set(bytes.subarray(0, 8));
      new DataView(out.buffer).setUint32(8, json.length, true);
      out.set(json, 12);
      out.set(bytes.subarray(payloadOffset), 12 + json.length);
      expect(() => decodeModel(out)).toThrow(/model header is invalid/);
    }
  });

  it('refuses to save NaN weights, and to load them even with a matching checksum', () => {
    const bad = model(2, 2, () => 0);
    bad.table.vectors[1] = Number.NaN;
    expect(() => encodeModel(bad)).toThrow(/NaN/);
    const good = encodeModel(model(2, 2, () => 0));
    const offset = decodeModelHeader(good).payloadOffset;
    const patched = Uint8Array.from(good);
    new DataView(patched.buffer).setFloat32(offset + 4, Number.NaN, true);
    const oldSum = bytesToHex(sha256(good.subarray(offset)));
    const newSum = bytesToHex(sha256(patched.subarray(offset)));
    const header = new TextDecoder().decode(patched.subarray(12, offset)).replace(oldSum, newSum);
    patched.set(new TextEncoder().encode(header), 12);
    expect(() => decodeModel(patched)).toThrow(/NaN/);
  });
});

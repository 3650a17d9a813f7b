// Dense products on the tfjs backend: the hot paths that are one large op (Gram matrices, score matrices).
import { tf } from './backend';

/** VᵀV for a row-major rows × dim matrix, as Float64 (dim × dim). */
export function gramMatrix(values: Float32Array, rows: number, dim: number): Float64Array {
  if (values.length !== rows * dim) throw new RangeError(`gramMatrix: ${values.length} values is not ${rows}×${dim}`);
  const out = tf.tidy(() => {
    const v = tf.tensor2d(values, [rows, dim]);
    return tf.matMul(v, v, true, false);
  });
  const g = Float64Array.from(out.dataSync());
  out.dispose();
  return g;
}

/** A · Bᵀ for row-major A (m × dim) and B (n × dim): every score of m users over n items (m × n, Float32). */
export function scoreMatrix(a: Float32Array, m: number, b: Float32Array, n: number, dim: number): Float32Array {
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, dim]), tf.tensor2d(b, [n, dim]), false, true));
  const s = out.dataSync() as Float32Array;
  out.dispose();
  return s;
}

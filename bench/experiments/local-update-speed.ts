// Benchmark of one device's local update (the federated client's hot path) on a synthetic item table.
import { createRng } from '../../shared/math/random';
import { IMPLICIT_DEFAULTS } from '../../models/mf/implicit-als';
import { localUpdate, prepareTable } from '../../models/local-update';
import { localUpdateReference } from '../../models/local-update-reference';
import type { MfModel } from '../../models/mf/model';

/** Settings of the local-update benchmark. */
export interface LocalUpdateSpeedOptions {
  items: number;
  dim: number;
  history: number;
  epochs: number;
  repeats: number;
  seed: number;
  /** Also time the plain-loop reference (slow; for comparison). */
  reference: boolean;
}

/** Timing summary in milliseconds. */
export interface Timing {
  medianMs: number;
  p90Ms: number;
  minMs: number;
}

function summarize(ms: number[]): Timing {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { medianMs: q(0.5), p90Ms: q(0.9), minMs: s[0]! };
}

/** Time `repeats` local updates of fresh random histories (after warm-up), excluding the one-off table upload. */
export function runLocalUpdateSpeed(o: LocalUpdateSpeedOptions): { tfjs: Timing; prepareMs: number; reference?: Timing } {
  const rng = createRng(o.seed);
  const model: MfModel = {
    params: { kind: 'implicit', lambda: IMPLICIT_DEFAULTS.lambda, alpha: IMPLICIT_DEFAULTS.alpha, valueScale: 5 },
    table: {
      items: o.items,
      dim: o.dim,
      vectors: Float32Array.from({ length: o.items * o.dim }, () => 0.1 * rng.normal()),
      biases: Float32Array.from({ length: o.items }, () => 0.01 * rng.normal()),
    },
  };
  const history = () => {
    const chosen = new Set<number>();
    while (chosen.size < Math.min(o.history, o.items)) chosen.add(rng.int(o.items));
    return { items: Int32Array.from(chosen), values: Float32Array.from(chosen, () => 0.5 * (1 + rng.int(10))) };
  };
  const tp = performance.now();
  const prepared = prepareTable(model);
  const prepareMs = performance.now() - tp;
  const config = { epochs: o.epochs, learningRate: 0.01 };
  try {
    for (let w = 0; w < 3; w++) localUpdate(prepared, history(), config);
    const times: number[] = [];
    for (let r = 0; r < o.repeats; r++) {
      const h = history();
      const t = performance.now();
      localUpdate(prepared, h, config);
      times.push(performance.now() - t);
    }
    const out: { tfjs: Timing; prepareMs: number; reference?: Timing } = { tfjs: summarize(times), prepareMs };
    if (o.reference) {
      const ref: number[] = [];
      for (let r = 0; r < Math.min(5, o.repeats); r++) {
        const h = history();
        const t = performance.now();
        localUpdateReference(model, h, config);
        ref.push(performance.now() - t);
      }
      out.reference = summarize(ref);
    }
    return out;
  } finally {
    prepared.dispose();
  }
}
